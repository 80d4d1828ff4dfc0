import { ModerationEngine } from '../../../lib';
import { readTriggerSettings, TRIGGER_HANDLER, TriggerEngine } from '../../../lib/trigger/trigger-contract';
import { logicalId, resourceProperties, synthPipeline } from '../../support/synth-helpers';

/** The trigger function's Handler and environment in the template. */
function triggerFunction(engine?: ModerationEngine) {
  const { pipeline, template } = synthPipeline({ engine, minConfidence: 60, jobNamePrefix: 'acme.', validateManifests: false });
  const properties = resourceProperties(template, logicalId(pipeline.triggerFunction));
  return { handler: properties.Handler as string, variables: properties.Environment.Variables as Record<string, unknown> };
}

/** Stands in for CloudFormation: every reference becomes a plausible deployed value. */
function deployed(variables: Record<string, unknown>): Record<string, string> {
  const values: Record<string, string> = {
    OUTPUT_BUCKET: 'stack-outputbucket-1a2b3c',
    KMS_KEY_ID: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/111122223333/dlq',
    TRACKING_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111122223333:stateMachine:Tracking',
    PER_IMAGE_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111122223333:stateMachine:PerImage',
    IMAGE_BUCKETS: 'moderation-abc-in-111122223333-us-east-1',
  };
  return Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, typeof value === 'string' ? value : values[name]]));
}

describe('the trigger function', () => {
  test("runs the handler export the contract names", () => {
    expect(triggerFunction().handler).toBe(`index.${TRIGGER_HANDLER}`);
  });

  test('gets an environment that the handler reads back as the props said', () => {
    const { variables } = triggerFunction();

    expect(readTriggerSettings(deployed(variables))).toEqual({
      settings: {
        outputBucket: 'stack-outputbucket-1a2b3c',
        outputPrefix: 'results/',
        jobNamePrefix: 'acme.',
        minConfidence: 60,
        kmsKeyId: expect.stringMatching(/^arn:aws:kms:/),
      },
      deadLetterQueueUrl: expect.stringMatching(/^https:/),
      unexpectedErrorAttempts: 5,
      trackingStateMachineArn: expect.stringMatching(/:stateMachine:Tracking$/),
      engine: 'bulk',
      validateManifests: false,
      imageBuckets: ['moderation-abc-in-111122223333-us-east-1'],
    });
  });

  test.each([
    ['bulk()', ModerationEngine.bulk(), TriggerEngine.BULK],
    ['perImage()', ModerationEngine.perImage(), TriggerEngine.PER_IMAGE],
    ['auto()', ModerationEngine.auto(), TriggerEngine.AUTO],
  ])('gets the contract\'s ENGINE value for engine %s, which the handler accepts', (_name, engine, value) => {
    const { variables } = triggerFunction(engine);

    expect(variables.ENGINE).toBe(value);
    expect(readTriggerSettings(deployed(variables)).engine).toBe(value);
  });
});
