import { Duration } from 'aws-cdk-lib';
import type { ModerationJobProps } from '../moderation-job';
import { PropErrors } from './validation';

/** Checks every ModerationJob prop at synth time; all problems are reported in one error. */
export function validateJobProps(constructPath: string, props: ModerationJobProps): void {
  const errors = new PropErrors();
  if (!props.outputBucket && !props.pipeline) {
    errors.add('outputBucket is required when no pipeline is given');
  }
  errors.stringLength('manifestKey', props.manifestKey, 1, 1024);
  errors.numberInRange('minConfidence', props.minConfidence, 0, 100);
  errors.stringLength('projectVersion', props.projectVersion, 20, 2048);
  errors.stringLength('jobName', props.jobName, 1, 64);
  errors.stringMatching('jobName', props.jobName, /^[a-zA-Z0-9_.-]+$/, "may only contain letters, digits, '_', '.' and '-'");
  errors.stringLength('outputPrefix', props.outputPrefix, 0, 700);
  errors.stringMatching('outputPrefix', props.outputPrefix, /^\S*$/, 'must not contain whitespace (Rekognition S3KeyPrefix matches \\S*)');
  if (props.completionTimeout && !props.completionTimeout.isUnresolved()) {
    const seconds = props.completionTimeout.toSeconds();
    if (seconds < 60 || seconds > 3600) {
      errors.add(`completionTimeout must be between 1 and 60 minutes, the custom-resource provider's limit (given ${props.completionTimeout.toHumanString()})`);
    }
  }
  if (props.pollInterval && !props.pollInterval.isUnresolved()) {
    const seconds = props.pollInterval.toSeconds();
    if (seconds < 10 || seconds > 600) {
      errors.add(`pollInterval must be between 10 seconds and 10 minutes (given ${props.pollInterval.toHumanString()})`);
    }
  }
  const timeout = props.completionTimeout ?? Duration.hours(1);
  const interval = props.pollInterval ?? Duration.minutes(1);
  if (props.waitForCompletion && !timeout.isUnresolved() && !interval.isUnresolved()
    && (interval.toSeconds() > timeout.toSeconds() || timeout.toSeconds() % interval.toSeconds() !== 0)) {
    errors.add(`pollInterval must divide completionTimeout into whole polls, as the custom-resource provider requires (given ${interval.toHumanString()} and ${timeout.toHumanString()})`);
  }
  if (!props.waitForCompletion && (props.completionTimeout || props.pollInterval)) {
    errors.add('completionTimeout and pollInterval only apply with waitForCompletion: true');
  }
  errors.throwIfAny(constructPath);
}
