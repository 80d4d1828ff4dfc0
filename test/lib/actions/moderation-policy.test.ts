import { App, CfnParameter, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ModerationAction, ModerationEngine, ModerationEvents, ModerationPipeline, ModerationPolicy, ModerationRule } from '../../../lib';
import { ActionsEnvironment, ActionsState, policyDocumentProblem } from '../../../lib/actions/actions-contract';
import { MODERATION_ALL_LABEL_NAMES, MODERATION_L3_LABELS_V7, MODERATION_LABEL_NAMES, MODERATION_TAXONOMY_V7, moderationLabelAncestors } from '../../../lib/actions/moderation-taxonomy';
import { logicalId, roleStatements, synthPipeline } from '../../support/synth-helpers';

const MIXED_POLICY = () => ModerationPolicy.of({
  rules: [
    ModerationRule.label('Explicit', { minConfidence: 80, actions: [ModerationAction.QUARANTINE, ModerationAction.EVENT] }),
    ModerationRule.label('Violence', { minConfidence: 60, actions: [ModerationAction.TAG, ModerationAction.EVENT] }),
  ],
  otherLabels: { actions: [ModerationAction.TAG] },
});

function definitionOf(template: Template, id: string): string {
  const definition = template.toJSON().Resources[id].Properties.DefinitionString;
  return JSON.stringify(definition);
}

describe('ModerationPolicy', () => {
  test('the taxonomy has the ten top-level categories of v7 and their second-level labels', () => {
    expect(Object.keys(MODERATION_TAXONOMY_V7)).toHaveLength(10);
    expect(MODERATION_LABEL_NAMES.has('Explicit Nudity')).toBe(true);
    expect(MODERATION_LABEL_NAMES.has('Graphic Violence')).toBe(true);
    // A third-level label is not a rule's label, but is a label an image event may list.
    expect(MODERATION_LABEL_NAMES.has('Blood & Gore')).toBe(false);
    expect(MODERATION_ALL_LABEL_NAMES.has('Blood & Gore')).toBe(true);
    expect(moderationLabelAncestors('Blood & Gore')).toEqual(['Graphic Violence', 'Violence']);
    expect(moderationLabelAncestors('Weapons')).toEqual(['Violence']);
    expect(moderationLabelAncestors('Gambling')).toEqual([]);
    expect(moderationLabelAncestors('Nudity')).toBeUndefined();
    // Every L3 list hangs below a known L2 label.
    const level2 = new Set(Object.values(MODERATION_TAXONOMY_V7).flat());
    expect(Object.keys(MODERATION_L3_LABELS_V7).filter((name) => !level2.has(name))).toEqual([]);
  });

  test('the document the handler reads: defaults filled in, actions by name, checked by the contract', () => {
    const { document, thresholds } = MIXED_POLICY()._document(70);
    expect(thresholds).toEqual({});
    expect(document).toEqual({
      version: 1,
      rules: [
        { label: 'Explicit', minConfidence: 80, actions: ['QUARANTINE', 'EVENT'] },
        { label: 'Violence', minConfidence: 60, actions: ['TAG', 'EVENT'] },
      ],
      otherLabels: { label: '*', minConfidence: 70, actions: ['TAG'] },
      tagCleanImages: true,
    });
    expect(policyDocumentProblem(document)).toBeUndefined();
    expect(policyDocumentProblem({ ...document, rules: [{ label: 'Explicit', minConfidence: 101, actions: ['TAG'] }] })).toMatch(/between 0 and 100/);
  });

  test('fails if a rule names a label outside taxonomy v7, naming the prop and the value', () => {
    expect(() => synthPipeline({
      policy: ModerationPolicy.of({ rules: [ModerationRule.label('Nudity', { actions: [ModerationAction.TAG] })] }),
    })).toThrow(/policy\.rules\[0\]\.label must be a top-level or second-level label .*\(given 'Nudity'\)/);
    expect(() => synthPipeline({
      policy: ModerationPolicy.of({ rules: [ModerationRule.label('explicit nudity', { actions: [ModerationAction.TAG] })] }),
    })).toThrow(/did you mean 'Explicit Nudity'\?/);
    expect(() => synthPipeline({
      policy: ModerationPolicy.of({ rules: [ModerationRule.label('Blood & Gore', { actions: [ModerationAction.TAG] })] }),
    })).toThrow(/'Blood & Gore' is a third-level label: name its parent 'Graphic Violence'/);
  });

  test('a threshold given as a token reaches the function as its own variable; one variable per distinct token', () => {
    const stack = new Stack(new App(), 'Stack');
    const strict = new CfnParameter(stack, 'Strict', { type: 'Number' }).valueAsNumber;
    const usual = new CfnParameter(stack, 'Usual', { type: 'Number' }).valueAsNumber;
    const pipeline = new ModerationPipeline(stack, 'Pipeline', {
      minConfidence: usual,
      policy: ModerationPolicy.of({
        rules: [
          ModerationRule.label('Explicit', { minConfidence: strict, actions: [ModerationAction.QUARANTINE] }),
          ModerationRule.label('Violence', { minConfidence: 60, actions: [ModerationAction.TAG] }),
          ModerationRule.label('Hate Symbols', { minConfidence: strict, actions: [ModerationAction.EVENT] }),
        ],
        otherLabels: { actions: [ModerationAction.TAG] },
      }),
    });
    const variables = Template.fromStack(stack).toJSON().Resources[logicalId(pipeline.actionsFunction!)].Properties.Environment.Variables;
    const policy = JSON.parse(variables[ActionsEnvironment.POLICY]);
    expect(policy.rules.map((rule: any) => rule.minConfidence)).toEqual([{ variable: 'MODERATION_THRESHOLD_0' }, 60, { variable: 'MODERATION_THRESHOLD_0' }]);
    // The pipeline's minConfidence, a token too, is the default of otherLabels.
    expect(policy.otherLabels.minConfidence).toEqual({ variable: 'MODERATION_THRESHOLD_1' });
    expect(variables.MODERATION_THRESHOLD_0).toEqual({ Ref: 'Strict' });
    expect(variables.MODERATION_THRESHOLD_1).toEqual({ Ref: 'Usual' });
    expect(policyDocumentProblem(policy)).toMatch(/minConfidence between 0 and 100/);
  });

  test('fails on an empty policy, a threshold out of range, a rule without actions and a repeated label', () => {
    expect(() => synthPipeline({ policy: ModerationPolicy.of({}) })).toThrow(/policy must have at least one rule or otherLabels/);
    expect(() => synthPipeline({
      policy: ModerationPolicy.of({
        rules: [
          ModerationRule.label('Violence', { minConfidence: 120, actions: [ModerationAction.TAG] }),
          ModerationRule.label('Violence', { actions: [] }),
        ],
      }),
    })).toThrow(/policy\.rules\[0\]\.minConfidence must be a number between 0 and 100 \(given 120\)[\s\S]*policy\.rules\[1\]\.label repeats 'Violence'[\s\S]*policy\.rules\[1\]\.actions must name at least one/);
  });
});

describe('ModerationPipeline with a policy', () => {
  test('no policy: no actions function, no quarantine statement, tracking definition without the step', () => {
    const { template, pipeline } = synthPipeline();
    expect(pipeline.actionsFunction).toBeUndefined();
    expect(definitionOf(template, logicalId(pipeline.trackingStateMachine))).not.toContain(ActionsState.APPLY);
    expect(JSON.stringify(template.findResources('AWS::S3::BucketPolicy'))).not.toContain('ExistingObjectTag');
  });

  test('the actions step runs before the completion event in the tracking workflow and the per-image workflow', () => {
    const { template, pipeline } = synthPipeline({ policy: MIXED_POLICY(), engine: ModerationEngine.auto() });
    for (const stateMachine of [pipeline.trackingStateMachine, pipeline.perImageStateMachine!]) {
      const definition = JSON.parse(resolveJoin(template.toJSON().Resources[logicalId(stateMachine)].Properties.DefinitionString));
      const apply = definition.States[ActionsState.APPLY];
      expect(apply).toMatchObject({ Type: 'Task', ResultPath: '$.step', Next: ActionsState.COMPLETE });
      expect(apply.Retry[0].ErrorEquals).toEqual(expect.arrayContaining(['SlowDown', 'ThrottlingException']));
      // Not complete (time budget spent): invoke again, resuming from the checkpoint; else publish.
      expect(definition.States[ActionsState.COMPLETE]).toMatchObject({
        Choices: [{ Variable: '$.step.actionsComplete', BooleanEquals: false, Next: ActionsState.APPLY }],
        Default: 'PublishCompletion',
      });
      const before = Object.entries<any>(definition.States).filter(([, state]) => state.Next === ActionsState.APPLY || state.Default === ActionsState.APPLY
        || (state.Choices ?? []).some((choice: any) => choice.Next === ActionsState.APPLY));
      expect(before.map(([name]) => name)).not.toContain('PublishCompletion');
    }
  });

  test('the policy reaches the handler through its environment, as the contract writes it', () => {
    const { template, pipeline } = synthPipeline({ policy: MIXED_POLICY(), minConfidence: 65 });
    const fn = template.toJSON().Resources[logicalId(pipeline.actionsFunction!)].Properties;
    const policy = JSON.parse(fn.Environment.Variables[ActionsEnvironment.POLICY]);
    expect(policy.otherLabels.minConfidence).toBe(65);
    expect(policy.rules.map((rule: any) => rule.label)).toEqual(['Explicit', 'Violence']);
    expect(fn.Timeout).toBe(900);
  });

  test('least privilege: tagging only on the image buckets with a tag-key condition, PutEvents only on the bus', () => {
    const { template, pipeline, stack } = synthPipeline((s) => ({
      policy: MIXED_POLICY(),
      imageBuckets: [s3.Bucket.fromBucketName(s, 'Uploads', 'uploads-bucket')],
      eventBus: new events.EventBus(s, 'Bus'),
    }));
    const statements = roleStatements(template, pipeline.actionsFunction!.role!);
    const put = statements.find((statement) => statement.Sid === 'WriteModerationTags');
    expect(put.Action).toEqual(['s3:PutObjectTagging', 's3:PutObjectVersionTagging']);
    expect(put.Condition).toEqual({ 'ForAnyValue:StringEquals': { 's3:RequestObjectTagKeys': ['moderation:status'] } });
    expect(JSON.stringify(put.Resource)).toContain('uploads-bucket/*');
    expect(put.Resource).toHaveLength(2);
    // The image-versions files beside the manifests: read, and listable so a missing one reads as NoSuchKey.
    const versions = statements.find((statement) => statement.Sid === 'ReadImageVersions');
    expect(versions.Action).toBe('s3:GetObject');
    expect(JSON.stringify(versions.Resource)).toContain('/manifests/*');
    const list = statements.find((statement) => statement.Sid === 'ListManifests');
    expect(list.Condition).toEqual({ StringLike: { 's3:prefix': ['manifests/*'] } });
    const publish = statements.find((statement) => statement.Sid === 'PublishImageEvents');
    expect(publish.Resource).toEqual(stack.resolve((pipeline.eventBus as events.EventBus).eventBusArn));
    const everyAction = statements.flatMap((statement) => [statement.Action].flat());
    expect(everyAction).not.toContain('s3:DeleteObject');
    expect(everyAction.filter((action: string) => action.includes('*'))).toEqual([]);
  });

  test('quarantine: a Deny on the owned bucket conditioned on the status tag, reviewers exempt', () => {
    const stack = new Stack(new App(), 'Stack');
    const pipeline = new ModerationPipeline(stack, 'Pipeline', { policy: MIXED_POLICY() });
    const reviewer = new iam.Role(stack, 'Reviewer', { assumedBy: new iam.AccountRootPrincipal() });
    pipeline.grantReviewQuarantined(reviewer);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(pipeline.inputBucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'DenyReadingQuarantinedImages',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: ['s3:GetObject', 's3:GetObjectVersion'],
          Condition: {
            'StringEquals': { 's3:ExistingObjectTag/moderation:status': 'quarantined' },
            'ArnNotLike': { 'aws:PrincipalArn': [{ 'Fn::GetAtt': [logicalId(reviewer), 'Arn'] }] },
          },
        })]),
      },
    });
    expect(JSON.stringify(roleStatements(template, reviewer))).toContain('s3:PutObjectTagging');
  });

  test('quarantine on an imported image bucket: a warning with the statement to add', () => {
    const { stack } = synthPipeline((s) => ({ policy: MIXED_POLICY(), imageBuckets: [s3.Bucket.fromBucketName(s, 'Uploads', 'uploads-bucket')] }));
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('quarantined images in it stay readable'));
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings[0].entry.data)).toContain('s3:ExistingObjectTag/moderation:status');
  });

  test('no quarantine rule: no Deny statement', () => {
    const { template } = synthPipeline({ policy: ModerationPolicy.of({ otherLabels: { actions: [ModerationAction.TAG] } }) });
    expect(JSON.stringify(template.findResources('AWS::S3::BucketPolicy'))).not.toContain('ExistingObjectTag');
  });

  test('onImageFlagged: a rule on the pipeline\'s bus for its image events, optionally one label', () => {
    const stack = new Stack(new App(), 'Stack');
    const pipeline = new ModerationPipeline(stack, 'Pipeline', { policy: MIXED_POLICY() });
    const rule = pipeline.onImageFlagged('Explicit', { target: new targets.SqsQueue(new sqs.Queue(stack, 'Q', { enforceSSL: true })), label: 'Explicit' });
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['cdk-bulk-moderation'],
        'detail-type': [ModerationEvents.IMAGE_FLAGGED_DETAIL_TYPE],
        'detail': { pipeline: ['Stack/Pipeline'], labelNames: ['Explicit'] },
      },
      Targets: Match.anyValue(),
    });
    expect(rule).toBeInstanceOf(events.Rule);
  });

  test('onImageFlagged checks its label against taxonomy v7 (any level) and the policy, naming the option and the value', () => {
    const make = (policy: ModerationPolicy) => {
      const stack = new Stack(new App(), 'Stack');
      return { stack, pipeline: new ModerationPipeline(stack, 'Pipeline', { policy }) };
    };
    const { pipeline } = make(MIXED_POLICY());
    expect(() => pipeline.onImageFlagged('Typo', { label: 'Nudity' }))
      .toThrow(/onImageFlagged\('Typo'\): options\.label must be a label of Rekognition's moderation taxonomy v7 .*\(given 'Nudity'\)/);
    expect(() => pipeline.onImageFlagged('Case', { label: 'blood & gore' })).toThrow(/did you mean 'Blood & Gore'\?/);
    // A third-level label is listed in events under a rule on its category; otherLabels governs the rest.
    expect(() => pipeline.onImageFlagged('Gore', { label: 'Blood & Gore' })).not.toThrow();
    expect(() => pipeline.onImageFlagged('Gambling', { label: 'Gambling' })).not.toThrow();

    const { pipeline: narrow, stack } = make(ModerationPolicy.of({
      rules: [ModerationRule.label('Graphic Violence', { actions: [ModerationAction.EVENT] })],
    }));
    expect(() => narrow.onImageFlagged('Gambling', { label: 'Gambling' }))
      .toThrow(/options\.label is matched by no rule of the pipeline's policy \(rules on 'Graphic Violence', no otherLabels\), so no image event lists it .*\(given 'Gambling'\)/);
    // 'Violence' itself is governed by no rule here (only its child is): it never appears in an event.
    expect(() => narrow.onImageFlagged('Violence', { label: 'Violence' })).toThrow(/matched by no rule/);
    expect(() => narrow.onImageFlagged('Self-Harm', { label: 'Self-Harm' })).not.toThrow();
    // A token is only known at deploy time: not judged.
    const fromParameter = new CfnParameter(stack, 'Label').valueAsString;
    expect(() => narrow.onImageFlagged('FromParameter', { label: fromParameter })).not.toThrow();
  });

  test('cdk-nag AwsSolutions: clean with a policy, every acknowledgement with a reason', () => {
    const app = new App();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stack = new Stack(app, 'Stack');
    const pipeline = new ModerationPipeline(stack, 'Pipeline', { policy: MIXED_POLICY(), engine: ModerationEngine.auto() });
    pipeline.grantReviewQuarantined(new iam.Role(stack, 'Reviewer', { assumedBy: new iam.AccountRootPrincipal() }));
    expect(() => Template.fromStack(stack)).not.toThrow();
  });
});

/** The state machine's DefinitionString (Fn::Join of strings and tokens) as text with placeholders. */
function resolveJoin(definition: any): string {
  if (typeof definition === 'string') return definition;
  const [, parts] = definition['Fn::Join'];
  return parts.map((part: unknown) => (typeof part === 'string' ? part : 'TOKEN')).join('');
}
