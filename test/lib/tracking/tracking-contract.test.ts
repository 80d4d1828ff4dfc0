import { ConfigError } from '../../../lib/common/contract/environment';
import {
  readTrackerSettings,
  trackerEnvironment,
  TrackerEnvironment,
  TrackingPath,
} from '../../../lib/tracking/tracking-contract';

describe('tracker environment', () => {
  test('reads back what the construct writes', () => {
    // GIVEN
    const settings = { kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/k', pipelineId: 'Stack/Pipeline', trackingTimeoutSeconds: 604800 };

    // WHEN
    const environment = trackerEnvironment(settings);

    // THEN
    expect(environment).toEqual({ KMS_KEY_ID: settings.kmsKeyId, PIPELINE_ID: 'Stack/Pipeline', TRACKING_TIMEOUT_SECONDS: '604800' });
    expect(readTrackerSettings(environment)).toEqual(settings);
  });

  test('leaves unset settings out, and reads them back as absent', () => {
    expect(trackerEnvironment({})).toEqual({});
    expect(readTrackerSettings({})).toEqual({ kmsKeyId: undefined, pipelineId: undefined, trackingTimeoutSeconds: undefined });
  });

  test('writes a token through the given stringify', () => {
    const environment = trackerEnvironment({ trackingTimeoutSeconds: 7 }, (value) => `<${value}>`);
    expect(environment[TrackerEnvironment.TRACKING_TIMEOUT_SECONDS]).toBe('<7>');
  });

  test.each(['0', '1.5', 'a week'])('fails with ConfigError naming the variable and the value for TRACKING_TIMEOUT_SECONDS %s', (value) => {
    expect(() => readTrackerSettings({ TRACKING_TIMEOUT_SECONDS: value })).toThrow(ConfigError);
    expect(() => readTrackerSettings({ TRACKING_TIMEOUT_SECONDS: value })).toThrow(`Environment variable TRACKING_TIMEOUT_SECONDS must be a whole number of at least 1 (given ${JSON.stringify(value)})`);
  });
});

test('the workflow\'s paths name the fields of TrackingInput and TrackingStep', () => {
  expect(TrackingPath).toEqual({
    CONTEXT: '$.tracking',
    STEP: '$.step',
    DONE: '$.step.done',
    DETAIL: '$.step.detail',
    EXECUTION_START_TIME: '$$.Execution.StartTime',
  });
});
