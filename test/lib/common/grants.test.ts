import { App, ArnFormat, CfnResource, Fn, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { AwsSolutionsChecks, rules } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { acknowledgeFinding, acknowledgeInvokeGrants, grantWithReason, ReasonedStatement } from '../../../lib/common/grants';

const REASON = 'The role reads objects whose keys are only known at run time.';

function nagApp(): App {
  const app = new App();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

function lambdaRole(scope: IConstruct, id: string): iam.Role {
  return new iam.Role(scope as Stack, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
}

/** The acknowledgements recorded on exactly this construct: id -> reason. */
function acknowledgedOn(construct: IConstruct): Record<string, unknown> {
  return Object.assign({}, ...construct.node.metadata
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .map((entry) => Object.fromEntries(Object.entries(entry.data as object).map(([id, reason]) => [id.replace(/^annotation::/i, ''), reason]))));
}

/** The AwsSolutions-IAM5 findings cdk-nag's own rule reports on the IAM resources below `root`. */
function wildcardFindingsReportedBelow(root: IConstruct): string[] {
  return root.node.findAll()
    .filter((construct): construct is CfnResource => CfnResource.isCfnResource(construct))
    .flatMap((resource) => {
      const result = rules.iam.IAMNoWildcardPermissions(resource);
      return Array.isArray(result) ? result.map((finding) => `AwsSolutions-IAM5[${finding}]`) : [];
    });
}

describe('grantWithReason', () => {
  test('adds the statement to the role\'s policy', () => {
    // GIVEN
    const stack = new Stack();
    const role = lambdaRole(stack, 'Role');

    // WHEN
    grantWithReason(role, {
      sid: 'ReadInputs',
      actions: ['s3:GetObject'],
      resources: ['arn:aws:s3:::acme/in/*'],
      conditions: { Bool: { 'aws:SecureTransport': 'true' } },
      reason: REASON,
    });

    // THEN
    const policy = role.node.findChild('DefaultPolicy') as iam.Policy;
    expect(stack.resolve(policy.document.toJSON()).Statement).toEqual([{
      Sid: 'ReadInputs',
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::acme/in/*',
      Condition: { Bool: { 'aws:SecureTransport': 'true' } },
    }]);
  });

  test('acknowledges on the role one finding per wildcard action and resource, each with the reason, and nothing else', () => {
    // GIVEN
    const stack = new Stack();
    const role = lambdaRole(stack, 'Role');
    const bucket = new s3.Bucket(stack, 'Bucket');

    // WHEN
    grantWithReason(role, {
      actions: ['s3:GetObject*', 's3:PutObject'],
      resources: [bucket.arnForObjects('in/*'), bucket.bucketArn, '*'],
      reason: REASON,
    });

    // THEN
    const bucketId = stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
    expect(acknowledgedOn(role)).toEqual({
      'AwsSolutions-IAM5[Action::s3:GetObject*]': REASON,
      [`AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/in/*]`]: REASON,
      'AwsSolutions-IAM5[Resource::*]': REASON,
    });
  });

  test('spells every finding as cdk-nag reports it, for resources written with Fn::Join, Fn::GetAtt, Ref, Fn::Sub and Fn::ImportValue', () => {
    // GIVEN
    const stack = new Stack();
    const role = lambdaRole(stack, 'Role');
    const bucket = new s3.Bucket(stack, 'Bucket');
    const statement: ReasonedStatement = {
      actions: ['s3:Get*', 's3:List*'],
      resources: [
        bucket.arnForObjects('results/*'),
        `arn:aws:s3:::${bucket.bucketName}/*`,
        Fn.sub('arn:${AWS::Partition}:s3:::acme-${AWS::AccountId}/*'),
        `${Fn.importValue('SharedBucketArn')}/*`,
        stack.formatArn({ service: 'states', resource: 'execution', resourceName: 'Workflow:*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      ],
      reason: REASON,
    };

    // WHEN
    grantWithReason(role, statement);

    // THEN
    const reported = wildcardFindingsReportedBelow(role);
    expect(reported).toHaveLength(7);
    expect(Object.keys(acknowledgedOn(role)).sort()).toEqual([...reported].sort());
  });

  test('a statement without wildcards acknowledges nothing', () => {
    // GIVEN
    const stack = new Stack();
    const role = lambdaRole(stack, 'Role');

    // WHEN
    grantWithReason(role, {
      actions: ['rekognition:StartMediaAnalysisJob'],
      resources: ['arn:aws:rekognition:eu-west-1:123456789012:project/moderation/version/v1/1700000000000'],
      reason: REASON,
    });

    // THEN
    expect(acknowledgedOn(role)).toEqual({});
  });

  test('passes the AwsSolutions checks where the same statement added without it fails them', () => {
    // GIVEN
    const statement = { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::acme/in/*'] };
    const withHelper = nagApp();
    grantWithReason(lambdaRole(new Stack(withHelper, 'WithHelper'), 'Role'), { ...statement, reason: REASON });
    const without = nagApp();
    lambdaRole(new Stack(without, 'Without'), 'Role').addToPrincipalPolicy(new iam.PolicyStatement(statement));

    // WHEN / THEN
    expect(() => withHelper.synth()).not.toThrow();
    expect(() => without.synth()).toThrow(/AwsSolutions-IAM5\[Resource::arn:aws:s3:::acme\/in\/\*\]/);
  });

  test('a wildcard the helper was not told about stays flagged, on the same role', () => {
    // GIVEN
    const app = nagApp();
    const stack = new Stack(app, 'Stack');
    const role = lambdaRole(stack, 'Role');
    const images = new s3.Bucket(stack, 'Images');
    const other = new s3.Bucket(stack, 'Other');
    grantWithReason(role, { actions: ['s3:GetObject'], resources: [images.arnForObjects('*')], reason: REASON });

    // WHEN
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [other.arnForObjects('*')] }));

    // THEN
    const otherId = stack.getLogicalId(other.node.defaultChild as s3.CfnBucket);
    const imagesId = stack.getLogicalId(images.node.defaultChild as s3.CfnBucket);
    expect(() => app.synth()).toThrow(new RegExp(`AwsSolutions-IAM5\\[Resource::<${otherId}\\.Arn>/\\*\\]`));
    expect(() => app.synth()).not.toThrow(new RegExp(`AwsSolutions-IAM5\\[Resource::<${imagesId}\\.Arn>/\\*\\]`));
  });

  test('the acknowledgement covers the role it granted, not another role with the same wildcard', () => {
    // GIVEN
    const app = nagApp();
    const stack = new Stack(app, 'Stack');
    const statement = { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::acme/*'] };
    grantWithReason(lambdaRole(stack, 'Granted'), { ...statement, reason: REASON });

    // WHEN
    lambdaRole(stack, 'Bystander').addToPrincipalPolicy(new iam.PolicyStatement(statement));

    // THEN
    expect(() => app.synth()).toThrow(/Stack\/Bystander\/DefaultPolicy[\s\S]*AwsSolutions-IAM5\[Resource::arn:aws:s3:::acme\/\*\]/);
    expect(() => app.synth()).not.toThrow(/Stack\/Granted/);
  });
});

describe('acknowledgeInvokeGrants', () => {
  test('acknowledges on the state machine exactly the function-version findings of its LambdaInvoke tasks', () => {
    // GIVEN
    const stack = new Stack();
    const fn = new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})') });
    const stateMachine = new sfn.StateMachine(stack, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(new tasks.LambdaInvoke(stack, 'Invoke', { lambdaFunction: fn })),
    });

    // WHEN
    acknowledgeInvokeGrants(stateMachine, [fn]);

    // THEN
    const fnId = stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
    expect(wildcardFindingsReportedBelow(stateMachine)).toEqual([`AwsSolutions-IAM5[Resource::<${fnId}.Arn>:*]`]);
    expect(Object.keys(acknowledgedOn(stateMachine))).toEqual(wildcardFindingsReportedBelow(stateMachine));
  });
});

describe('acknowledgeFinding', () => {
  test('records the one id given, with its reason, on the construct given', () => {
    // GIVEN
    const stack = new Stack();
    const role = lambdaRole(stack, 'Role');

    // WHEN
    acknowledgeFinding(role, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/ReadOnlyAccess]', REASON);

    // THEN
    expect(acknowledgedOn(role)).toEqual({ 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/ReadOnlyAccess]': REASON });
    expect(acknowledgedOn(stack)).toEqual({});
  });
});
