import { ArnFormat, Fn, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { acknowledgeFinding } from '../common/nag-acknowledgements';
import type { PerImageFunctions } from './per-image-functions';

export interface PerImageFindingSubjects {
  readonly stateMachine: sfn.StateMachine;
  readonly functions: PerImageFunctions;
  readonly trackerFunction: lambda.IFunction;
  readonly outputBucket: s3.IBucket;
  readonly outputPrefix: string;
  readonly imageBuckets: s3.IBucket[];
  readonly manifestBucket?: s3.IBucket;
  readonly manifestPrefix: string;
  readonly projectVersion?: string;
}

const IAM5 = 'AwsSolutions-IAM5';
/** The Distributed Map's Label (part of its Map Runs' ARNs). */
export const MAP_LABEL = 'Images';

/** The cdk-nag AwsSolutions findings the per-image workflow causes on purpose, one acknowledgement each. */
export function acknowledgePerImageFindings(subjects: PerImageFindingSubjects): void {
  const { stateMachine, functions } = subjects;
  const outputObjects = subjects.outputBucket.arnForObjects(`${subjects.outputPrefix}*`);

  // Prepare
  const prepare = functions.prepare.role;
  if (subjects.manifestBucket) {
    acknowledgeFinding(prepare, IAM5, 'Prepare reads whichever manifest an S3 event names, any key below the manifest prefix, known only at run time.',
      subjects.manifestBucket.arnForObjects(`${subjects.manifestPrefix}*`));
  } else {
    for (const bucket of subjects.imageBuckets) {
      acknowledgeFinding(prepare, IAM5, 'Prepare reads whichever manifest an S3 event names; manifests may be in any of the pipeline\'s buckets.', bucket.arnForObjects('*'));
    }
  }
  acknowledgeFinding(prepare, IAM5, 'Prepare writes the items of each manifest into that manifest\'s folder below the output prefix, named at run time.', outputObjects);

  // Batch
  const batch = functions.batch.role;
  if (subjects.projectVersion === undefined) {
    acknowledgeFinding(batch, IAM5, 'rekognition:DetectModerationLabels names no resource unless an adapter is used, so it can only be granted on "*".', '*');
  }
  for (const bucket of subjects.imageBuckets) {
    acknowledgeFinding(batch, IAM5, 'Rekognition reads every image a manifest lists with the caller\'s permissions; manifests may name any image key in this bucket.', bucket.arnForObjects('*'));
  }
  acknowledgeFinding(batch, IAM5, 'A batch whose results exceed the Step Functions payload limit writes them into its manifest\'s folder below the output prefix, named at run time.', outputObjects);

  // Finalize
  acknowledgeFinding(functions.finalize.role, IAM5, 'Finalize reads the Map results and writes the output manifest and summary in each manifest\'s folder below the output prefix, named at run time.', outputObjects);

  // State machine
  acknowledgeFinding(stateMachine, IAM5, 'The Distributed Map reads each manifest\'s items and its ResultWriter writes the Map results in that manifest\'s folder below the output prefix, named at run time.', outputObjects);
  acknowledgeFinding(stateMachine, IAM5, 'Step Functions log delivery (logs:CreateLogDelivery and related) and X-Ray tracing (xray:PutTraceSegments and related) support no resource-level permissions.', '*');
  for (const fn of [functions.prepare.function, functions.batch.function, functions.finalize.function, subjects.trackerFunction]) {
    acknowledgeFinding(stateMachine, IAM5, 'aws-cdk-lib\'s LambdaInvoke task grants the function and its versions (":*"); the workflow invokes only that function.', `${fn.functionArn}:*`);
  }
  // aws-cdk-lib's Distributed Map grants on the workflow's own executions and Map Runs.
  const executions = (suffix: string) => Stack.of(stateMachine).formatArn({
    service: 'states',
    resource: 'execution',
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    resourceName: `${Fn.select(6, Fn.split(':', stateMachine.stateMachineArn))}${suffix}`,
  });
  const mapPolicy = stateMachine.node.findChild('DistributedMapPolicy');
  acknowledgeFinding(mapPolicy, IAM5, 'aws-cdk-lib\'s Distributed Map lets the workflow describe and stop its own child executions, whose names are generated at run time.', executions(':*'));
  acknowledgeFinding(mapPolicy, IAM5, 'aws-cdk-lib\'s Distributed Map lets the workflow redrive its own Map Runs (label "Images"), whose ids are generated at run time.', executions(`/${MAP_LABEL}:*`));
}
