/**
 * Local stand-ins for what CloudFormation would resolve: every resource of a template gets a Ref
 * and attributes shaped like the real ones (ARNs, queue URLs, names), and intrinsic functions
 * (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split) are evaluated against them. An
 * unknown reference throws, so a template that grows a new one fails the test loudly.
 */

export const LOCAL_ACCOUNT = '111122223333';
export const LOCAL_REGION = 'us-east-1';

export interface TemplateValues {
  /** Ref of a logical ID or pseudo parameter. */
  readonly refs: Record<string, string>;
  /** 'LogicalId.Attribute' -> value. */
  readonly attributes: Record<string, string>;
}

/** A synthesized template (`Template.toJSON()` or the cdk.out file). */
type Template = { readonly Resources?: Record<string, { Type: string; Properties?: any }> };

/** Values for every resource of the template, by type; `overrides` win (e.g. chosen bucket names). */
export function localValues(template: Template, overrides: Partial<TemplateValues> = {}): TemplateValues {
  const refs: Record<string, string> = {
    'AWS::AccountId': LOCAL_ACCOUNT,
    'AWS::Region': LOCAL_REGION,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': 'local-stack',
    'AWS::NoValue': '',
  };
  const attributes: Record<string, string> = {};
  const arn = (service: string, resource: string, region = LOCAL_REGION, account = LOCAL_ACCOUNT) => `arn:aws:${service}:${region}:${account}:${resource}`;

  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    const lower = id.toLowerCase();
    switch (resource.Type) {
      case 'AWS::S3::Bucket': {
        // A bucket with an explicit name keeps it (resolved below, once pseudo parameters exist).
        const name = resource.Properties?.BucketName === undefined ? `local-${lower}`.slice(0, 63) : undefined;
        if (name) setBucket(id, name);
        break;
      }
      case 'AWS::SQS::Queue':
        refs[id] = `https://sqs.${LOCAL_REGION}.amazonaws.com/${LOCAL_ACCOUNT}/${id}`;
        attributes[`${id}.Arn`] = arn('sqs', id);
        attributes[`${id}.QueueName`] = id;
        attributes[`${id}.QueueUrl`] = refs[id];
        break;
      case 'AWS::KMS::Key': {
        const keyId = `00000000-0000-4000-8000-${hex12(id)}`;
        refs[id] = keyId;
        attributes[`${id}.Arn`] = arn('kms', `key/${keyId}`);
        attributes[`${id}.KeyId`] = keyId;
        break;
      }
      case 'AWS::StepFunctions::StateMachine':
        refs[id] = arn('states', `stateMachine:${id}`);
        attributes[`${id}.Arn`] = refs[id];
        attributes[`${id}.Name`] = id;
        break;
      case 'AWS::Lambda::Function':
        refs[id] = id;
        attributes[`${id}.Arn`] = arn('lambda', `function:${id}`);
        break;
      case 'AWS::IAM::Role':
        refs[id] = id;
        attributes[`${id}.Arn`] = `arn:aws:iam::${LOCAL_ACCOUNT}:role/${id}`;
        break;
      case 'AWS::SNS::Topic':
        refs[id] = arn('sns', id);
        attributes[`${id}.TopicArn`] = refs[id];
        break;
      case 'AWS::Events::EventBus':
        refs[id] = id;
        attributes[`${id}.Arn`] = arn('events', `event-bus/${id}`);
        attributes[`${id}.Name`] = id;
        break;
      case 'AWS::Logs::LogGroup':
        refs[id] = id;
        attributes[`${id}.Arn`] = arn('logs', `log-group:${id}:*`);
        break;
      default:
        refs[id] = id;
    }
  }
  Object.assign(refs, overrides.refs);
  Object.assign(attributes, overrides.attributes);
  const values = { refs, attributes };
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    if (resource.Type === 'AWS::S3::Bucket' && resource.Properties?.BucketName !== undefined && overrides.refs?.[id] === undefined) {
      setBucket(id, resolveString(resource.Properties.BucketName, values));
    }
  }
  return values;

  function setBucket(id: string, name: string) {
    refs[id] = name;
    attributes[`${id}.Arn`] = `arn:aws:s3:::${name}`;
    attributes[`${id}.DomainName`] = `${name}.s3.amazonaws.com`;
    attributes[`${id}.RegionalDomainName`] = `${name}.s3.${LOCAL_REGION}.amazonaws.com`;
  }
}

/** Evaluates a CloudFormation value to a string. */
export function resolveString(value: unknown, values: TemplateValues): string {
  const resolved = resolveValue(value, values);
  if (typeof resolved !== 'string' && typeof resolved !== 'number' && typeof resolved !== 'boolean') {
    throw new Error(`Not a string value: ${JSON.stringify(value)}`);
  }
  return String(resolved);
}

export function resolveValue(value: unknown, values: TemplateValues): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveValue(item, values));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [[fn, args]] = entries as [[string, any]];
    switch (fn) {
      case 'Ref':
        return lookup(values.refs, args, 'Ref');
      case 'Fn::GetAtt':
        return lookup(values.attributes, Array.isArray(args) ? args.join('.') : String(args), 'Fn::GetAtt');
      case 'Fn::Join': {
        const [delimiter, items] = args;
        return (resolveValue(items, values) as unknown[]).map(String).join(delimiter);
      }
      case 'Fn::Select': {
        const [index, items] = args;
        return (resolveValue(items, values) as unknown[])[Number(resolveValue(index, values))];
      }
      case 'Fn::Split': {
        const [delimiter, source] = args;
        return resolveString(source, values).split(delimiter);
      }
      case 'Fn::Sub': {
        const [text, variables] = Array.isArray(args) ? args : [args, {}];
        return (text as string).replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
          if (variables[name] !== undefined) return resolveString(variables[name], values);
          return name.includes('.') ? lookup(values.attributes, name, 'Fn::Sub') : lookup(values.refs, name, 'Fn::Sub');
        });
      }
      default:
        if (fn.startsWith('Fn::') || fn === 'Condition') throw new Error(`Unsupported intrinsic ${fn}`);
    }
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, resolveValue(item, values)]));
}

function lookup(table: Record<string, string>, name: string, how: string): string {
  const found = table[name];
  if (found === undefined) throw new Error(`${how} ${name} has no local value: add it to localValues()`);
  return found;
}

function hex12(text: string): string {
  let hash = 0;
  for (const char of text) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash.toString(16).padStart(12, '0').slice(-12);
}
