import { Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Acknowledges one cdk-nag finding on one construct. Findings about IAM resources are named
 * after the resource as cdk-nag prints it (`<LogicalId.Arn>/prefix*`), so ARNs given as tokens
 * are flattened the same way here.
 */
export function acknowledgeFinding(scope: IConstruct, rule: string, reason: string, resource?: string): void {
  const id = resource === undefined ? rule : `${rule}[Resource::${flattenReference(Stack.of(scope).resolve(resource))}]`;
  Validations.of(scope).acknowledge({ id, reason });
}

function flattenReference(node: unknown): string {
  if (typeof node === 'string') return node.replace(/\${/g, '<').replace(/}/g, '>');
  if (node && typeof node === 'object') {
    const value = node as Record<string, any>;
    if (value['Fn::Join']) {
      const [delimiter, items] = value['Fn::Join'];
      return (items as unknown[]).map(flattenReference).join(delimiter);
    }
    if (value['Fn::GetAtt']) return `<${value['Fn::GetAtt'].map(flattenReference).join('.')}>`;
    if (value.Ref) return `<${flattenReference(value.Ref)}>`;
  }
  return JSON.stringify(node);
}
