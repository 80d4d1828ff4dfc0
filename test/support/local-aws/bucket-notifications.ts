import { resolveString, TemplateValues } from './template-values';
import type { S3rverNotification } from './s3-server';

/** One queue notification of the template's Custom::S3BucketNotifications, resolved. */
export interface QueueNotificationRule {
  readonly bucket: string;
  readonly queueArn: string;
  readonly events: string[];
  readonly prefix: string;
  readonly suffix: string;
}

export function queueNotificationRules(template: any, values: TemplateValues): QueueNotificationRule[] {
  return Object.values<any>(template.Resources)
    .filter((resource) => resource.Type === 'Custom::S3BucketNotifications')
    .flatMap((resource) => (resource.Properties.NotificationConfiguration.QueueConfigurations ?? []).map((configuration: any) => {
      const rules: Array<{ Name: string; Value: string }> = configuration.Filter?.Key?.FilterRules ?? [];
      const rule = (name: string) => rules.find((candidate) => candidate.Name.toLowerCase() === name)?.Value ?? '';
      return {
        bucket: resolveString(resource.Properties.BucketName, values),
        queueArn: resolveString(configuration.QueueArn, values),
        events: configuration.Events,
        prefix: rule('prefix'),
        suffix: rule('suffix'),
      };
    }));
}

/** Whether S3 would send this event to the rule's queue (prefix and suffix match the decoded key). */
export function matchesRule(rule: QueueNotificationRule, bucket: string, key: string, eventName: string): boolean {
  const eventMatches = rule.events.some((pattern) => {
    const name = pattern.replace(/^s3:/, '');
    return name.endsWith('*') ? eventName.startsWith(name.slice(0, -1)) : eventName === name;
  });
  return rule.bucket === bucket && eventMatches && key.startsWith(rule.prefix) && key.endsWith(rule.suffix);
}

/** URL-encodes a key as S3 event notifications do: '+' for spaces, '/' kept. */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
}

/**
 * The notification S3 would send for what s3rver reported. Two corrections, both where s3rver
 * differs from S3: the key is URL-encoded (s3rver leaves it raw), and a versioned bucket's
 * upload carries a versionId (s3rver keeps no versions: the caller supplies one per upload).
 */
export function asS3Notification(notification: S3rverNotification, versionId?: string): string {
  return JSON.stringify({
    Records: notification.Records.map((record) => ({
      ...record,
      s3: {
        ...record.s3,
        object: {
          ...record.s3.object,
          key: encodeEventKey(record.s3.object.key),
          ...(versionId !== undefined && { versionId }),
        },
      },
    })),
  });
}
