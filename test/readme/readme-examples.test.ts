import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import * as ts from 'typescript';

/**
 * The README's TypeScript examples are type-checked against the library as it is, each in a
 * scope of its own inside a stack, with the few names the prose leaves to the reader declared.
 */
const repo = join(__dirname, '..', '..');

const FIXTURE = `
import { CfnOutput, Stack } from 'aws-cdk-lib';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { JobStatus, ModerationEngine, ModerationJob, ModerationPipeline, ModerationVpcEndpoints } from '${join(repo, 'lib').replace(/\\/g, '/')}';

declare const myResultsBucket: s3.IBucket;
declare const myKey: kms.IKey;
declare const myImageLibrary: s3.IBucket;
declare const myQueue: sqs.IQueue;
declare const opsTopic: sns.ITopic;
declare const myConsumerFunction: lambda.IFunction;
declare const myUploaderRole: iam.IRole;

export class Examples extends Stack {
  public examples(pipeline: ModerationPipeline): void {
    void pipeline; void targets; void CfnOutput; void ModerationEngine; void ModerationJob; void JobStatus; void ec2; void ModerationVpcEndpoints;
`;

function typeScriptExamples(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
}

function diagnosticsOf(source: string): string[] {
  const dir = mkdtempSync(join(repo, '.readme-check-'));
  try {
    const file = join(dir, 'examples.ts');
    writeFileSync(file, source);
    const config = ts.readConfigFile(join(repo, 'tsconfig.json'), ts.sys.readFile).config;
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, repo);
    const program = ts.createProgram([file], { ...options, noUnusedLocals: false, noEmit: true });
    return ts.getPreEmitDiagnostics(program)
      .filter((d) => d.file?.fileName === file)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the README has TypeScript examples for every usage section', () => {
  expect(typeScriptExamples(readFileSync(join(repo, 'README.md'), 'utf8')).length).toBeGreaterThanOrEqual(6);
});

test('every TypeScript example in the README compiles against the library', () => {
  const examples = typeScriptExamples(readFileSync(join(repo, 'README.md'), 'utf8'))
    .map((example) => example.replace(/^import .* from 'cdk-bulk-moderation';$/m, ''));
  const source = `${FIXTURE}${examples.map((example) => `    {\n${example}\n    }\n`).join('')}  }\n}\n`;

  expect(diagnosticsOf(source)).toEqual([]);
}, 60_000);

test('the check catches an example that no longer fits the API', () => {
  const source = `${FIXTURE}    { new ModerationPipeline(this, 'P', { minConfidance: 70 }); }\n  }\n}\n`;

  expect(diagnosticsOf(source).join('\n')).toMatch(/minConfidance/);
}, 60_000);
