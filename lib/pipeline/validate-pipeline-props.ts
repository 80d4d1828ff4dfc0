import { Token } from 'aws-cdk-lib';
import { ModerationPipelineProps } from './moderation-pipeline-props';
import { PIPELINE_DEFAULTS } from './pipeline-defaults';
import { PropErrors } from '../common/prop-errors';
import { validateFunctionNetwork } from '../common/function-network';
import { jobNamePrefixProblem, keyPrefixProblem, minConfidenceProblem, outputPrefixProblem, projectVersionProblem } from '../trigger/trigger-contract';

/** Checks every prop at synth time; all problems are reported in one error. */
export function validatePipelineProps(constructPath: string, props: ModerationPipelineProps): void {
  const errors = new PropErrors();
  const manifestPrefix = props.manifestPrefix ?? PIPELINE_DEFAULTS.manifestPrefix;
  const outputPrefix = props.outputPrefix ?? PIPELINE_DEFAULTS.outputPrefix;
  const maxReceiveCount = props.maxReceiveCount ?? PIPELINE_DEFAULTS.maxReceiveCount;

  // The trigger reads these settings with the same checks (lib/trigger/trigger-contract.ts).
  errors.satisfies('minConfidence', props.minConfidence, minConfidenceProblem);
  errors.satisfies('projectVersion', props.projectVersion, projectVersionProblem);
  errors.stringMatching('projectVersion', props.projectVersion, /^arn:aws[a-z-]*:rekognition:[a-z0-9-]+:\d{12}:project\/.+\/version\/.+\/\d+$/,
    'must be the ARN of a Rekognition project version (adapter), arn:aws:rekognition:<region>:<account>:project/<name>/version/<name>/<timestamp>');
  errors.stringLength('manifestPrefix', manifestPrefix, 0, 1024);
  errors.satisfies('manifestPrefix', manifestPrefix, keyPrefixProblem);
  errors.satisfies('outputPrefix', outputPrefix, outputPrefixProblem);
  errors.satisfies('jobNamePrefix', props.jobNamePrefix, jobNamePrefixProblem);
  errors.numberInRange('triggerBatchSize', props.triggerBatchSize, 1, 10, true);
  errors.numberInRange('triggerMaxConcurrency', props.triggerMaxConcurrency, 2, 1000, true);
  errors.numberInRange('maxReceiveCount', props.maxReceiveCount, 5, 1000, true);
  errors.numberInRange('unexpectedErrorAttempts', props.unexpectedErrorAttempts, 1, Token.isUnresolved(maxReceiveCount) ? 999 : maxReceiveCount - 1, true);
  if (props.triggerTimeout?.isUnresolved()) {
    errors.add('triggerTimeout must be a concrete duration, not a token: the queue\'s visibility timeout is derived from it (six times) at synth');
  } else if (props.triggerTimeout) {
    const seconds = props.triggerTimeout.toSeconds();
    if (seconds < 10 || seconds > 900) {
      errors.add(`triggerTimeout must be between 10 seconds and 15 minutes (given ${props.triggerTimeout.toHumanString()})`);
    }
  }
  validateTracking(errors, props);
  validateFunctionNetwork(errors, props);
  validateSuffixes(errors, props.manifestSuffixes);
  validateBuckets(errors, props, manifestPrefix, outputPrefix);
  props.engine?._checkPipelineOptions(errors, 'engine');
  props.imageIngestion?._checkPipelineOptions(errors, {
    inputBucket: props.inputBucket,
    outputBucket: props.outputBucket,
    manifestPrefix,
    outputPrefix,
    manifestSuffixes: props.manifestSuffixes ?? PIPELINE_DEFAULTS.manifestSuffixes,
  });
  props.policy?._problems('policy').forEach((problem) => errors.add(problem));
  errors.throwIfAny(constructPath);
}

function validateSuffixes(errors: PropErrors, suffixes: string[] | undefined): void {
  if (suffixes === undefined) return;
  if (suffixes.length === 0) {
    errors.add('manifestSuffixes must name at least one suffix (given [])');
    return;
  }
  const resolved = suffixes.filter((suffix) => !Token.isUnresolved(suffix));
  for (const suffix of resolved) {
    if (suffix.length === 0) errors.add("manifestSuffixes must not contain an empty suffix (given '')");
  }
  for (const a of resolved) {
    for (const b of resolved) {
      if (a !== b && a.length > 0 && b.length > 0 && a.endsWith(b)) {
        errors.add(`manifestSuffixes must not overlap: '${a}' ends with '${b}' (S3 rejects overlapping notifications)`);
      }
    }
  }
  if (new Set(resolved).size !== resolved.length) {
    errors.add(`manifestSuffixes must not repeat a suffix (given [${suffixes.join(', ')}])`);
  }
}

function validateBuckets(errors: PropErrors, props: ModerationPipelineProps, manifestPrefix: string, outputPrefix: string): void {
  const sameBucket = props.inputBucket !== undefined && props.outputBucket !== undefined
    && (props.inputBucket === props.outputBucket
      || (!Token.isUnresolved(props.inputBucket.bucketName) && props.inputBucket.bucketName === props.outputBucket.bucketName));
  if (sameBucket) {
    // Only concrete prefixes can be proven apart; results under the manifest prefix would start jobs without end.
    for (const [prop, value] of [['manifestPrefix', manifestPrefix], ['outputPrefix', outputPrefix]]) {
      if (Token.isUnresolved(value)) {
        errors.add(`${prop} must be a concrete string, not a token, when inputBucket and outputBucket are the same bucket: `
          + `it is checked at synth not to overlap the other prefix, or results would start new jobs (given ${value})`);
      }
    }
  }
  if (sameBucket && !Token.isUnresolved(manifestPrefix) && !Token.isUnresolved(outputPrefix)
    && (outputPrefix.startsWith(manifestPrefix) || manifestPrefix.startsWith(outputPrefix))) {
    errors.add(`outputPrefix ('${outputPrefix}') and manifestPrefix ('${manifestPrefix}') must not overlap when inputBucket and outputBucket are the same bucket, or results would start new jobs`);
  }
  if (props.accessLogsBucket && props.inputBucket && props.outputBucket) {
    errors.add('accessLogsBucket is only used for buckets the construct creates, but both inputBucket and outputBucket were given');
  }
}

function validateTracking(errors: PropErrors, props: ModerationPipelineProps): void {
  const poll = props.pollInterval ?? PIPELINE_DEFAULTS.pollInterval;
  const timeout = props.trackingTimeout ?? PIPELINE_DEFAULTS.trackingTimeout;
  if (!poll.isUnresolved() && (poll.toSeconds() < 60 || poll.toSeconds() > 3600)) {
    errors.add(`pollInterval must be between 1 and 60 minutes (given ${poll.toHumanString()})`);
  }
  if (!timeout.isUnresolved() && !poll.isUnresolved() && timeout.toSeconds() / poll.toSeconds() > 2500) {
    errors.add(`trackingTimeout / pollInterval must not exceed 2,500 polls, the most one execution history holds (given ${timeout.toHumanString()} / ${poll.toHumanString()})`);
  }
  if (!timeout.isUnresolved() && timeout.toSeconds() < 3600) {
    errors.add(`trackingTimeout must be at least 1 hour (given ${timeout.toHumanString()})`);
  }
  if (props.completionTopic && props.createCompletionTopic) {
    errors.add('completionTopic and createCompletionTopic are exclusive: pass a topic or ask for one, not both');
  }
  if (props.alarmTopic && props.alarmsEnabled === false) {
    errors.add('alarmTopic is given but alarmsEnabled is false');
  }
}
