/**
 * s.yaml as `s deploy` will see it: rendered by the real Serverless Devs CLI, every fc3
 * resource validated against the fc3 component's published schema, and every code path
 * and handler it names present in the build (test/globalSetup.ts runs it).
 */
import Ajv from 'ajv';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { codeDir, renderProject, type FunctionSpec, type RenderedProject } from '../../scripts/local/project';

const root = path.resolve(__dirname, '../..');
const schema = JSON.parse(readFileSync(path.join(root, 'test/fixtures/fc3/schema.json'), 'utf8'));

let project: RenderedProject;
const fn = (name: string): FunctionSpec => project.functions.find((f) => f.props.functionName === name)!;

beforeAll(async () => {
  project = await renderProject(root);
});

describe('s.yaml', () => {
  it('declares ingest, compact, recommend, train and campaign', () => {
    expect(project.functions.map((f) => f.props.functionName).sort()).toEqual(['campaign', 'compact', 'ingest', 'recommend', 'train']);
  });

  it('validates every fc3 resource against the published fc3 schema (draft-07)', () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    for (const f of project.functions) {
      const ok = validate(f.props);
      expect({ fn: f.props.functionName, errors: ok ? [] : validate.errors }).toEqual({ fn: f.props.functionName, errors: [] });
    }
  });

  it('the schema check itself catches a broken resource', () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate({ ...fn('train').props, gpuConfig: { gpuType: 'fc.gpu.tesla.1', gpuMemorySize: 1000 } })).toBe(false);
    expect(validate({ ...fn('campaign').props, handler: undefined })).toBe(false);
  });

  it('points every code path and handler at files the build produced', () => {
    for (const f of project.functions) {
      const dir = codeDir(root, f);
      const p = f.props as { customRuntimeConfig?: { args?: string[] }; customContainerConfig?: { command?: string[] } };
      const entry = p.customRuntimeConfig?.args?.find((a) => a.endsWith('.js')) ?? path.basename(p.customContainerConfig?.command?.at(-1) ?? `${(f.props.handler ?? '').split('.')[0]}.js`);
      expect(existsSync(path.join(dir, entry))).toBe(true);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(path.join(dir, entry)) as Record<string, unknown>;
      if (f.props.runtime.startsWith('custom')) expect(typeof mod.requestListener).toBe('function');
      else expect(typeof mod[f.props.handler!.split('.').pop()!]).toBe('function');
    }
  });

  it('gives ingest an HTTP trigger and several requests per instance (custom runtime)', () => {
    const ingest = fn('ingest').props as FunctionSpec['props'] & { instanceConcurrency: number };
    expect(ingest.runtime).toMatch(/^custom\./);
    expect(ingest.instanceConcurrency).toBeGreaterThan(1);
    expect(ingest.triggers?.map((t) => t.triggerType)).toEqual(['http']);
  });

  it('gives recommend reserved instances with scheduled peaks, target tracking and an initializer', () => {
    const props = fn('recommend').props as FunctionSpec['props'] & { provisionConfig: { scheduledActions: unknown[]; targetTrackingPolicies: unknown[] } };
    expect(props.provisionConfig.scheduledActions.length).toBeGreaterThan(0);
    expect(props.provisionConfig.targetTrackingPolicies.length).toBeGreaterThan(0);
    expect(props.instanceLifecycleConfig?.initializer).toBeDefined();
  });

  it('runs train on a GPU in a custom container, on dataset uploads and a daily timer', () => {
    const props = fn('train').props as FunctionSpec['props'] & { gpuConfig: { gpuType: string } };
    expect(props.runtime).toBe('custom-container');
    expect(props.gpuConfig.gpuType).toMatch(/^fc\.gpu\./);
    expect(props.triggers?.map((t) => t.triggerType).sort()).toEqual(['oss', 'timer']);
    expect(existsSync(path.join(root, 'functions/train/Dockerfile'))).toBe(true);
  });

  it('schedules campaigns in Beijing time', () => {
    for (const t of fn('campaign').props.triggers ?? []) {
      expect(t.triggerType).toBe('timer');
      expect(String(t.triggerConfig.cronExpression)).toMatch(/^CRON_TZ=Asia\/Shanghai /);
    }
  });

  it('holds no secret', () => {
    const text = readFileSync(path.join(root, 's.yaml'), 'utf8');
    expect(text).not.toMatch(/LTAI[0-9A-Za-z]{8,}|AKID[0-9A-Za-z]{8,}|(secret|password)\s*:\s*['"]?\w/i);
  });
});
