const DNS_SUFFIX: Record<string, string> = { 'aws-cn': 'amazonaws.com.cn' };

/** arn:aws:sqs:us-east-1:123456789012:name -> https://sqs.us-east-1.amazonaws.com/123456789012/name */
export function queueUrlFromArn(arn: string): string {
  const [prefix, partition, service, region, account, name, ...rest] = arn.split(':');
  if (prefix !== 'arn' || service !== 'sqs' || !partition || !region || !account || !name || rest.length > 0) {
    throw new Error(`Not an SQS queue ARN: ${JSON.stringify(arn)}`);
  }
  return `https://sqs.${region}.${DNS_SUFFIX[partition] ?? 'amazonaws.com'}/${account}/${name}`;
}
