import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { acknowledgeFinding, acknowledgeGrant, BASIC_EXECUTION_ROLE_FINDING } from '../lib/common/grants';

/**
 * The example's sample data is copied with aws-cdk-lib's BucketDeployment, used as it is: these
 * are the findings of its stack-wide handler and of the grants the deployment gives it.
 */
export function acknowledgeSampleDataFindings(stack: Stack, deployment: s3deploy.BucketDeployment, bucket: s3.IBucket): void {
  const handler = stack.node.findAll().find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment') && c.node.scope === stack);
  if (!handler || !deployment) return;
  const reason = (what: string) => `aws-cdk-lib's BucketDeployment handler (example sample data only): ${what}.`;
  acknowledgeFinding(handler, BASIC_EXECUTION_ROLE_FINDING, reason('its role is not configurable'));
  acknowledgeFinding(handler, 'AwsSolutions-L1', reason('its Python runtime is chosen by aws-cdk-lib'));
  for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*']) {
    acknowledgeGrant(handler, { actions: [action], resources: [], reason: reason(`its grants on the asset and destination buckets include ${action}`) });
  }
  acknowledgeGrant(handler, { resources: [`arn:\${AWS::Partition}:s3:::cdk-hnb659fds-assets-\${AWS::AccountId}-\${AWS::Region}/*`], reason: reason('it reads the staged asset from the CDK assets bucket') });
  acknowledgeGrant(handler, { resources: [bucket.arnForObjects('*')], reason: reason('it writes the sample image and manifest into the input bucket') });
}
