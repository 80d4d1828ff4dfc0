import { Duration, Token } from 'aws-cdk-lib';
import { PropErrors } from '../common/prop-errors';
import { failureShareProblem, imagesPerSecondProblem, MIN_CONFIDENCE_RANGE } from './per-image-contract';
import { numberProblem } from '../common/contract/environment';
import type { PerImageWorkflowProps } from './per-image-workflow-props';

/** A run must outlast Prepare, a Map round and Finalize, with time for the rounds' waits. */
const MIN_TIMEOUT = Duration.minutes(15);

/** The settings of a run that its engine's options give (ModerationEngine.perImage() and auto()). */
export interface PerImageRunOptions {
  readonly imagesPerSecond?: number;
  readonly maxFailureShare?: number;
  readonly timeout?: Duration;
}

/**
 * Adds the problems of a run's settings to `errors`, each named `${prefix}${prop}` with the value
 * given; the limits are the contract's, which the handlers check too. imagesPerSecond sizes the
 * Distributed Map at synth, so a token is refused; other tokens are left to deploy time.
 */
export function checkPerImageRunOptions(errors: PropErrors, prefix: string, options: PerImageRunOptions): void {
  const { imagesPerSecond, maxFailureShare, timeout } = options;
  if (imagesPerSecond !== undefined && Token.isUnresolved(imagesPerSecond)) {
    errors.add(`${prefix}imagesPerSecond must be a concrete number, not a token: it sets the Distributed Map's MaxConcurrency at synth (given ${Token.asString(imagesPerSecond)})`);
  } else {
    addProblem(errors, `${prefix}imagesPerSecond`, imagesPerSecond, imagesPerSecondProblem);
  }
  addProblem(errors, `${prefix}maxFailureShare`, maxFailureShare, failureShareProblem);
  if (timeout !== undefined && !timeout.isUnresolved() && timeout.toSeconds() < MIN_TIMEOUT.toSeconds()) {
    errors.add(`${prefix}timeout must be at least ${MIN_TIMEOUT.toHumanString()} (given ${timeout.toHumanString()})`);
  }
}

/** Checks the workflow's props that synth can check; throws all problems at once. */
export function validatePerImageProps(path: string, props: PerImageWorkflowProps): void {
  const errors = new PropErrors();
  checkPerImageRunOptions(errors, '', props);
  addProblem(errors, 'minConfidence', props.minConfidence, (value) => numberProblem(value, MIN_CONFIDENCE_RANGE));
  if (props.imageBuckets.length === 0) {
    errors.add('imageBuckets must name at least one bucket (given [])');
  }
  errors.throwIfAny(path);
}

function addProblem(errors: PropErrors, prop: string, value: number | undefined, check: (value: number) => string | undefined): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  const problem = check(value);
  if (problem !== undefined) errors.add(`${prop} ${problem} (given ${value})`);
}
