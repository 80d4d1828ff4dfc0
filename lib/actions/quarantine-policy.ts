import { Annotations, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ModerationStatus, ModerationTag } from './actions-contract';

/**
 * The bucket-policy statements that keep readers off quarantined object versions: a Deny of
 * s3:GetObject and s3:GetObjectVersion conditioned on `s3:ExistingObjectTag/moderation:status`
 * = quarantined, with the reviewers' principals exempt. Nothing is moved or deleted; changing the
 * tag releases the image. A bucket whose policy the construct cannot edit (imported) gets a
 * warning with the statement to add.
 */
export class QuarantinePolicy {
  private readonly statements: iam.PolicyStatement[] = [];
  private readonly reviewers: string[] = [];

  constructor(private readonly scope: Construct, buckets: s3.IBucket[]) {
    for (const bucket of buckets) {
      const statement = quarantineStatement(bucket);
      this.statements.push(statement);
      if (!bucket.addToResourcePolicy(statement).statementAdded) {
        Annotations.of(scope).addWarningV2('cdk-bulk-moderation:quarantineNotEnforced',
          `The policy of bucket ${bucket.node.path} cannot be edited (imported), so quarantined images in it stay readable: add this statement `
          + `to its bucket policy (and the ARNs of reviewers to the ArnNotLike condition): ${JSON.stringify(Stack.of(scope).resolve(statement.toStatementJson()))}`);
      }
    }
  }

  /** Exempts a principal from the Deny (roles and users: their ARN). */
  public exempt(grantee: iam.IGrantable): void {
    const arns = principalArns(grantee.grantPrincipal);
    if (arns.length === 0) {
      throw new Error(`${this.scope.node.path}: grantReviewQuarantined needs a principal with an ARN (a role or a user), not ${grantee.grantPrincipal}`);
    }
    this.reviewers.push(...arns);
    for (const statement of this.statements) {
      // addCondition merges by key: writing the whole list each time keeps every reviewer.
      statement.addCondition('ArnNotLike', { 'aws:PrincipalArn': [...this.reviewers] });
    }
  }
}

function quarantineStatement(bucket: s3.IBucket): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'DenyReadingQuarantinedImages',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['s3:GetObject', 's3:GetObjectVersion'],
    resources: [bucket.arnForObjects('*')],
    conditions: { StringEquals: { [`s3:ExistingObjectTag/${ModerationTag.STATUS}`]: ModerationStatus.QUARANTINED } },
  });
}

function principalArns(principal: iam.IPrincipal): string[] {
  const aws = principal.policyFragment.principalJson.AWS;
  return aws ?? [];
}
