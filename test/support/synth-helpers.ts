import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { ModerationPipeline, ModerationPipelineProps } from '../../lib';

/** What most tests need: the stack, the construct and its synthesized template. */
export interface SynthesizedPipeline {
  readonly stack: Stack;
  readonly pipeline: ModerationPipeline;
  readonly template: Template;
}

/**
 * A plain `new App()` (no cdk.json context: what consumers get), a new Stack, and one
 * ModerationPipeline called 'Pipeline'. `setup` builds whatever the props need in the same stack.
 */
export function synthPipeline(
  props: ModerationPipelineProps | ((stack: Stack) => ModerationPipelineProps) = {},
): SynthesizedPipeline {
  const stack = new Stack(new App(), 'Stack');
  const pipeline = new ModerationPipeline(stack, 'Pipeline', typeof props === 'function' ? props(stack) : props);
  return { stack, pipeline, template: Template.fromStack(stack) };
}

/** The logical ID that `construct` (an L2 or an L1) gets in its stack's template. */
export function logicalId(construct: IConstruct): string {
  const resource = (construct.node.defaultChild ?? construct) as any;
  return Stack.of(construct).getLogicalId(resource);
}

/** The CloudFormation form of a value (tokens resolved), to compare with template values. */
export function resolve(scope: IConstruct, value: unknown): any {
  return Stack.of(scope).resolve(value);
}

/** Properties of one resource in the template, by logical ID. */
export function resourceProperties(template: Template, id: string): any {
  const resource = template.toJSON().Resources[id];
  if (!resource) throw new Error(`no resource ${id} in the template`);
  return resource.Properties ?? {};
}

/** The statements of every AWS::IAM::Policy attached to `role`, in template order. */
export function roleStatements(template: Template, role: iam.IRole): any[] {
  const roleId = logicalId(role);
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy: any) => (policy.Properties.Roles ?? []).some((r: any) => r.Ref === roleId))
    .flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);
}

/** Every action and resource of a statement, as arrays. */
export function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The statements (of `statements`) that grant `action` exactly as written. */
export function statementsGranting(statements: any[], action: string): any[] {
  return statements.filter((s) => s.Effect === 'Allow' && asArray(s.Action).includes(action));
}

/** The bucket policy statements of `bucket` (created in the stack). */
export function bucketPolicyStatements(template: Template, bucket: s3.IBucket): any[] {
  const bucketId = logicalId(bucket);
  const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'))
    .filter((policy: any) => policy.Properties.Bucket?.Ref === bucketId);
  if (policies.length !== 1) throw new Error(`expected one bucket policy for ${bucketId}, found ${policies.length}`);
  return (policies[0] as any).Properties.PolicyDocument.Statement;
}

/** A queue notification of the template's Custom::S3BucketNotifications, flattened. */
export interface QueueNotification {
  readonly bucket: any;
  readonly queueArn: any;
  readonly events: string[];
  readonly prefix?: string;
  readonly suffix?: string;
  readonly ruleNames: string[];
}

/** Every queue notification of the template, sorted by suffix. Filter-rule order is not significant to S3. */
export function queueNotifications(template: Template): QueueNotification[] {
  return Object.values(template.findResources('Custom::S3BucketNotifications'))
    .flatMap((resource: any) => (resource.Properties.NotificationConfiguration.QueueConfigurations ?? [])
      .map((configuration: any) => {
        const rules: Array<{ Name: string; Value: string }> = configuration.Filter?.Key?.FilterRules ?? [];
        return {
          bucket: resource.Properties.BucketName,
          queueArn: configuration.QueueArn,
          events: configuration.Events,
          prefix: rules.find((r) => r.Name.toLowerCase() === 'prefix')?.Value,
          suffix: rules.find((r) => r.Name.toLowerCase() === 'suffix')?.Value,
          ruleNames: rules.map((r) => r.Name.toLowerCase()).sort(),
        };
      }))
    .sort((a, b) => String(a.suffix).localeCompare(String(b.suffix)));
}

/** The Fn::GetAtt <id>.Arn form. */
export function arnOf(id: string): { 'Fn::GetAtt': [string, string] } {
  return { 'Fn::GetAtt': [id, 'Arn'] };
}

/**
 * The parts of a CloudFormation string value (a literal, an Fn::Join with '' or a Ref/GetAtt),
 * flattened with adjacent literals merged, so that two spellings of the same string compare equal.
 */
export function stringParts(value: unknown): unknown[] {
  const flat: unknown[] = [];
  const visit = (node: unknown): void => {
    if (node && typeof node === 'object' && !Array.isArray(node) && 'Fn::Join' in node) {
      const [delimiter, items] = (node as any)['Fn::Join'];
      (items as unknown[]).forEach((item, index) => {
        if (index > 0 && delimiter !== '') visit(delimiter);
        visit(item);
      });
    } else if (typeof node === 'string' && typeof flat[flat.length - 1] === 'string') {
      flat[flat.length - 1] += node;
    } else if (node !== '') {
      flat.push(node);
    }
  };
  visit(value);
  return flat;
}
