import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { JOB_COMPLETED_DETAIL_TYPE, MODERATION_EVENT_SOURCE } from '../events/completion-event-contract';
import { TrackingPath } from './tracking-contract';
import { applyModerationActions } from '../actions/actions-step';

export interface CompletionPublisherProps {
  readonly eventBus?: events.IEventBus;
  readonly completionTopic?: sns.ITopic;
  /** The pipeline's moderation actions function (with a policy): it runs before the event is published. */
  readonly actionsFunction?: lambda.IFunction;
}

/**
 * The end of every workflow that finishes a manifest: publish `$.step.detail` as the one
 * completion event (and to the topic, when there is one). A rejected event fails the execution,
 * so the TrackingFailed alarm sees it and the detail stays in the history.
 */
export function publishCompletion(scope: Construct, props: CompletionPublisherProps): sfn.Chain {
  const publish = new tasks.EventBridgePutEvents(scope, 'PublishCompletion', {
    entries: [{
      detail: sfn.TaskInput.fromJsonPathAt(TrackingPath.DETAIL),
      detailType: JOB_COMPLETED_DETAIL_TYPE,
      source: MODERATION_EVENT_SOURCE,
      eventBus: props.eventBus,
    }],
    resultPath: '$.published',
  });
  publish.addRetry(serviceRetry());

  const eventRejected = new sfn.Fail(scope, 'EventNotPublished', {
    error: 'EventNotPublished',
    cause: 'EventBridge rejected the completion event (FailedEntryCount > 0); the detail is in this execution\'s history.',
  });
  const done = new sfn.Succeed(scope, 'Reported');
  const accepted = new sfn.Choice(scope, 'EventAccepted?')
    .when(sfn.Condition.numberGreaterThan('$.published.FailedEntryCount', 0), eventRejected)
    .otherwise(props.completionTopic ? notify(scope, props.completionTopic).next(done) : done);
  const published = publish.next(accepted);
  return props.actionsFunction ? applyModerationActions(scope, props.actionsFunction, published) : published;
}

function notify(scope: Construct, topic: sns.ITopic): tasks.SnsPublish {
  const publish = new tasks.SnsPublish(scope, 'NotifyTopic', {
    topic,
    subject: JOB_COMPLETED_DETAIL_TYPE,
    message: sfn.TaskInput.fromJsonPathAt(TrackingPath.DETAIL),
    resultPath: sfn.JsonPath.DISCARD,
  });
  publish.addRetry(serviceRetry());
  return publish;
}

function serviceRetry(): sfn.RetryProps {
  return { errors: ['States.ALL'], interval: Duration.seconds(10), backoffRate: 2, maxAttempts: 8, jitterStrategy: sfn.JitterType.FULL };
}
