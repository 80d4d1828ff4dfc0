import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { ModerationExampleStack } from '../../../bin/moderation-example-stack';
import type { ModerationPipeline } from '../../../lib';
import { handlerBundle } from '../bundled-handler';

/** A stack with one pipeline, as the local harness runs it. */
export type PipelineStack = Stack & { readonly pipeline: ModerationPipeline };

/** The example app as `cdk synth` writes it: the template and the asset folders a deployment uploads. */
export interface SynthesizedExample<S extends PipelineStack = ModerationExampleStack> {
  readonly outdir: string;
  readonly stack: S;
  readonly template: any;
  /** The template's logical ID of a construct (an L2 or its L1). */
  logicalId(construct: IConstruct): string;
  /** A resource's Properties, by logical ID. */
  properties(logicalId: string): any;
  /** The entry (index.mjs) of a function's code as uploaded: cdk.out/asset.<hash>, found through Code.S3Key. */
  functionBundle(functionLogicalId: string): string;
  remove(): void;
}

export const EXAMPLE_STACK_ID = 'ModerationExample';

/** Synthesizes the example app, or the stack `build` makes in its place (e.g. a pipeline with image ingestion). */
export function synthesizeExample(): SynthesizedExample;
export function synthesizeExample<S extends PipelineStack>(build: (app: App, id: string) => S): SynthesizedExample<S>;
export function synthesizeExample(build: (app: App, id: string) => PipelineStack = (app, id) => new ModerationExampleStack(app, id)): SynthesizedExample<PipelineStack> {
  // The assets are copies of assets/<name>: refuse stale ones rather than test old code.
  handlerBundle('trigger');
  handlerBundle('tracking');
  const outdir = mkdtempSync(join(tmpdir(), 'e2e-cdk-out-'));
  const app = new App({ outdir });
  const stack = build(app, EXAMPLE_STACK_ID);
  const assembly = app.synth();
  const artifact = assembly.getStackByName(EXAMPLE_STACK_ID);
  const template = artifact.template;
  const assetManifest = JSON.parse(readFileSync(join(outdir, `${EXAMPLE_STACK_ID}.assets.json`), 'utf8'));

  const properties = (id: string) => {
    const resource = template.Resources[id];
    if (!resource) throw new Error(`no resource ${id} in the template`);
    return resource.Properties ?? {};
  };
  return {
    outdir,
    stack,
    template,
    logicalId: (construct) => Stack.of(construct).getLogicalId(((construct.node.defaultChild ?? construct) as any)),
    properties,
    functionBundle: (id) => {
      const key: unknown = properties(id).Code?.S3Key;
      if (typeof key !== 'string' || !key.endsWith('.zip')) throw new Error(`${id} has no S3 asset code (Code.S3Key ${JSON.stringify(key)})`);
      const hash = key.slice(0, -'.zip'.length);
      const source = assetManifest.files?.[hash]?.source;
      if (source?.packaging !== 'zip') throw new Error(`asset ${hash} of ${id} is not a zipped folder in the asset manifest`);
      const entry = join(outdir, source.path, 'index.mjs');
      if (!existsSync(entry)) throw new Error(`${entry} does not exist`);
      return entry;
    },
    remove: () => rmSync(outdir, { recursive: true, force: true }),
  };
}
