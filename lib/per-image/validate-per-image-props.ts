import { Token } from 'aws-cdk-lib';
import type { PerImageWorkflowProps } from './per-image-workflow-props';

/** Checks the props that synth can check (unresolved tokens are skipped); throws all problems at once. */
export function validatePerImageProps(path: string, props: PerImageWorkflowProps): void {
  const problems: string[] = [];
  const range = (name: string, value: number | undefined, min: number, max: number) => {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (!Number.isFinite(value) || value < min || value > max) problems.push(`${name} must be from ${min} to ${max} (given ${value})`);
  };
  range('imagesPerSecond', props.imagesPerSecond, 1, 1000);
  range('maxFailureShare', props.maxFailureShare, 0, 1);
  range('minConfidence', props.minConfidence, 0, 100);
  if (!props.timeout.isUnresolved() && props.timeout.toSeconds() < 15 * 60) {
    problems.push(`timeout must be at least 15 minutes (given ${props.timeout.toHumanString()})`);
  }
  if (props.imageBuckets.length === 0) {
    problems.push('imageBuckets must name at least one bucket');
  }
  if (problems.length > 0) {
    throw new Error(`${path}: invalid per-image engine settings: ${problems.join('; ')}`);
  }
}
