import type { Template } from 'aws-cdk-lib/assertions';
import { localValues, resolveValue } from '../local-aws/template-values';

/**
 * The ASL of the template's one per-image state machine (found by its Comment), with every
 * CloudFormation reference replaced by the local stand-in values (function ARNs
 * arn:aws:lambda:us-east-1:111122223333:function:<LogicalId>, ...).
 */
export function perImageDefinition(template: Template): any {
  const json = template.toJSON();
  const machines = Object.values<any>(json.Resources).filter((resource) => resource.Type === 'AWS::StepFunctions::StateMachine'
    && JSON.stringify(resource.Properties.DefinitionString).includes('image by image'));
  if (machines.length !== 1) throw new Error(`expected one per-image state machine, found ${machines.length}`);
  return JSON.parse(resolveValue(machines[0].Properties.DefinitionString, localValues(json as Parameters<typeof localValues>[0])) as string);
}

/** The logical ID in a local function ARN. */
export function functionIdOf(arn: string): string {
  return arn.slice(arn.lastIndexOf(':') + 1);
}
