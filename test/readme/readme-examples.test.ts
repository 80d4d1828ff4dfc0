import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import * as ts from 'typescript';

/**
 * The README's TypeScript examples are type-checked against the library as it is. Each example is
 * a module of its own with only the imports it shows, so an example that leaves out an import
 * fails. `cdk-bulk-moderation` resolves to lib/. An example that uses `this` is the body of a
 * method of a stack (with the pipeline it extends passed in as `pipeline`); any other is a module
 * as written. The few names the prose leaves to the reader are declared.
 */
const repo = join(__dirname, '..', '..');

const READER_NAMES = `
declare const myResultsBucket: import('aws-cdk-lib/aws-s3').IBucket;
declare const myKey: import('aws-cdk-lib/aws-kms').IKey;
declare const myImageLibrary: import('aws-cdk-lib/aws-s3').IBucket;
declare const myQueue: import('aws-cdk-lib/aws-sqs').IQueue;
declare const opsTopic: import('aws-cdk-lib/aws-sns').ITopic;
declare const myConsumerFunction: import('aws-cdk-lib/aws-lambda').IFunction;
declare const myUploaderRole: import('aws-cdk-lib/aws-iam').IRole;
void myResultsBucket; void myKey; void myImageLibrary; void myQueue; void opsTopic; void myConsumerFunction; void myUploaderRole;
`;

function typeScriptExamples(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
}

/** One example as a module: its imports first, then its code, wrapped in a stack method when it uses `this`. */
function moduleOf(example: string): string {
  const lines = example.split('\n');
  const imports = lines.filter((line) => line.startsWith('import '));
  const body = lines.filter((line) => !line.startsWith('import ')).join('\n');
  if (!/\bthis\b/.test(body)) return `${imports.join('\n')}\n${READER_NAMES}\n${body}\nexport {};\n`;
  return [
    ...imports,
    "import * as readmeCheckCdk from 'aws-cdk-lib';",
    "import type { ModerationPipeline as ReadmeCheckPipeline } from 'cdk-bulk-moderation';",
    READER_NAMES,
    'export class Example extends readmeCheckCdk.Stack {',
    /\bconst pipeline\b/.test(body)
      ? '  public example(): void {'
      : '  public example(pipeline: ReadmeCheckPipeline): void { void pipeline;',
    body,
    '  }',
    '}',
  ].join('\n');
}

/** Each example's type errors, by file name (examples without errors are absent). */
function diagnosticsOf(examples: string[], names: string[]): Map<string, string[]> {
  const dir = mkdtempSync(join(repo, '.readme-check-'));
  try {
    const files = examples.map((example, index) => {
      const file = join(dir, names[index]);
      writeFileSync(file, moduleOf(example));
      return file;
    });
    const config = ts.readConfigFile(join(repo, 'tsconfig.json'), ts.sys.readFile).config;
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, repo);
    const program = ts.createProgram(files, {
      ...options,
      noUnusedLocals: false,
      noEmit: true,
      baseUrl: repo,
      paths: { 'cdk-bulk-moderation': ['lib/index.ts'], 'cdk-bulk-moderation/testing': ['lib/testing/index.ts'] },
    });
    const byFile = new Map<string, string[]>();
    for (const d of ts.getPreEmitDiagnostics(program)) {
      if (d.file === undefined || !files.includes(d.file.fileName)) continue;
      const name = d.file.fileName.slice(dir.length + 1);
      byFile.set(name, [...byFile.get(name) ?? [], ts.flattenDiagnosticMessageText(d.messageText, '\n')]);
    }
    return byFile;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const readmeExamples = typeScriptExamples(readFileSync(join(repo, 'README.md'), 'utf8'));
const misspelledProp = "import { ModerationPipeline } from 'cdk-bulk-moderation';\nnew ModerationPipeline(this, 'P', { minConfidance: 70 });\n";
const missingImport = "new ModerationPipeline(this, 'P');\n";
/** One type-check (loading aws-cdk-lib's types takes seconds) for the README's examples and two broken ones. */
let diagnostics: Map<string, string[]>;

beforeAll(() => {
  const names = [...readmeExamples.map((_, index) => `example-${index + 1}.ts`), 'misspelled-prop.ts', 'missing-import.ts'];
  diagnostics = diagnosticsOf([...readmeExamples, misspelledProp, missingImport], names);
}, 60_000);

test('the README has TypeScript examples for every usage section', () => {
  expect(readmeExamples.length).toBeGreaterThanOrEqual(8);
});

test('every TypeScript example in the README shows its imports and compiles against the library', () => {
  const problems = [...diagnostics].filter(([name]) => name.startsWith('example-'));

  expect(problems).toEqual([]);
});

test('the check catches an example that no longer fits the API', () => {
  expect(diagnostics.get('misspelled-prop.ts')?.join('\n')).toMatch(/minConfidance/);
});

test('the check catches an example that leaves out an import', () => {
  expect(diagnostics.get('missing-import.ts')?.join('\n')).toMatch(/Cannot find name 'ModerationPipeline'/);
});
