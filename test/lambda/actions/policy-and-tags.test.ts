import { actionsEnvironment, ActionsEnvironment, type PolicyDocument, readActionsSettings, type WrittenPolicyDocument } from '../../../lib/actions/actions-contract';
import { ConfigError } from '../../../lib/common/contract/environment';
import { EVENTS_PER_CALL, publishImageEvents } from '../../../lambda/actions/event-publisher';
import { evaluateImage } from '../../../lambda/actions/policy-evaluation';
import { labelsTagValue, mergeTags } from '../../../lambda/actions/tag-merge';
import { EventsDouble, MIXED_POLICY } from '../../support/actions/actions-fixture';
import { label } from '../../support/result-fixtures';

const NO_WAIT = { attempts: 4, baseDelayMs: 0, sleep: async () => undefined };

describe('readActionsSettings', () => {
  const written: WrittenPolicyDocument = {
    version: 1,
    rules: [
      { label: 'Explicit', minConfidence: { variable: 'MODERATION_THRESHOLD_0' }, actions: ['QUARANTINE'] },
      { label: 'Violence', minConfidence: 60, actions: ['TAG'] },
    ],
    otherLabels: { label: '*', minConfidence: { variable: 'MODERATION_THRESHOLD_1' }, actions: ['TAG'] },
    tagCleanImages: true,
  };
  const environment = (thresholds: Record<string, number | string>) => ({ ...actionsEnvironment({ policy: written }), ...Object.fromEntries(Object.entries(thresholds).map(([name, value]) => [name, String(value)])) });

  test('reads a threshold given as a token at synth from its variable, as CloudFormation resolved it', () => {
    const { policy } = readActionsSettings(environment({ MODERATION_THRESHOLD_0: 85, MODERATION_THRESHOLD_1: '42.5' }));
    expect(policy.rules.map((rule) => rule.minConfidence)).toEqual([85, 60]);
    expect(policy.otherLabels?.minConfidence).toBe(42.5);
    // The evaluation then uses the deployed value: 84 is below Explicit's 85.
    expect(evaluateImage([label('Explicit', 84)], policy).status).toBe('clean');
    expect(evaluateImage([label('Explicit', 85)], policy).status).toBe('quarantined');
  });

  test('fails at start with the variable and the value when a threshold variable is missing or out of range', () => {
    expect(() => readActionsSettings(environment({ MODERATION_THRESHOLD_1: 50 }))).toThrow(new ConfigError('MODERATION_THRESHOLD_0', 'is required'));
    expect(() => readActionsSettings(environment({ MODERATION_THRESHOLD_0: 120, MODERATION_THRESHOLD_1: 50 })))
      .toThrow(/Environment variable MODERATION_THRESHOLD_0 must be .*100.* \(given "120"\)/);
    expect(() => readActionsSettings(environment({ MODERATION_THRESHOLD_0: 'high', MODERATION_THRESHOLD_1: 50 })))
      .toThrow(/MODERATION_THRESHOLD_0 .*\(given "high"\)/);
  });

  test('refuses a threshold that is neither a number nor a threshold variable', () => {
    const env = { [ActionsEnvironment.POLICY]: JSON.stringify({ ...written, rules: [{ label: 'Explicit', minConfidence: { variable: 'PATH' }, actions: ['TAG'] }] }) };
    expect(() => readActionsSettings(env)).toThrow(/MODERATION_POLICY rule 'Explicit' must have a minConfidence between 0 and 100/);
  });
});

describe('evaluateImage', () => {
  test('the most specific rule governs a label: a rule on Graphic Violence beats one on Violence for its children', () => {
    const policy: PolicyDocument = {
      version: 1,
      rules: [
        { label: 'Violence', minConfidence: 90, actions: ['EVENT'] },
        { label: 'Graphic Violence', minConfidence: 60, actions: ['QUARANTINE'] },
      ],
      tagCleanImages: false,
    };
    const verdict = evaluateImage([label('Violence', 70), label('Graphic Violence', 65, 'Violence'), label('Blood & Gore', 62, 'Graphic Violence', 3)], policy);
    expect(verdict.status).toBe('quarantined');
    expect(verdict.actions).toEqual(['QUARANTINE']);
    expect(verdict.matched.map((m) => [m.name, m.rule])).toEqual([['Graphic Violence', 'Graphic Violence'], ['Blood & Gore', 'Graphic Violence']]);
    expect(verdict).toMatchObject({ tag: true, event: false });
  });

  test('labels no rule governs fall to otherLabels; below every threshold the image is clean and tagged clean', () => {
    expect(evaluateImage([label('Gambling', 51)], MIXED_POLICY)).toMatchObject({ status: 'flagged', actions: ['TAG'], tag: true, event: false });
    expect(evaluateImage([label('Explicit', 79.9)], MIXED_POLICY)).toMatchObject({ status: 'clean', actions: [], tag: true, matched: [] });
    expect(evaluateImage([], { ...MIXED_POLICY, tagCleanImages: false })).toMatchObject({ status: 'clean', tag: false });
  });
});

describe('mergeTags', () => {
  const own = (n: number) => Array.from({ length: n }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
  const matched = [{ name: 'Drugs & Tobacco', parentName: '', confidence: 90, rule: '*' }];

  test('keeps the object\'s own tags and replaces earlier moderation tags', () => {
    const merge = mergeTags([...own(2), { Key: 'moderation:status', Value: 'released' }, { Key: 'moderation:labels', Value: 'old' }], 'flagged', 't', matched);
    expect(merge).toEqual({
      fits: true,
      labelsDropped: false,
      tagSet: [...own(2), { Key: 'moderation:status', Value: 'flagged' }, { Key: 'moderation:token', Value: 't' }, { Key: 'moderation:labels', Value: 'Drugs and Tobacco' }],
    });
  });

  test('at 8 own tags the labels tag is dropped; at 9 not even status and token fit', () => {
    expect(mergeTags(own(8), 'flagged', 't', matched)).toMatchObject({ fits: true, labelsDropped: true });
    expect((mergeTags(own(8), 'flagged', 't', matched) as any).tagSet).toHaveLength(10);
    expect(mergeTags(own(9), 'flagged', 't', matched)).toEqual({ fits: false, ownTags: 9 });
  });

  test('the labels value stays within 256 characters and the characters tags accept', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ name: `Label number ${i} (x)`, parentName: '', confidence: 90, rule: '*' }));
    const value = labelsTagValue(many);
    expect(value.length).toBeLessThanOrEqual(256);
    expect(value).toMatch(/^[\p{L}\p{N} +\-=._:/@]+$/u);
  });
});

describe('publishImageEvents', () => {
  const detail = (i: number) => ({ eventId: String(i) }) as any;

  test('sends 10 entries a call and sends failed entries again until accepted', async () => {
    const events = new EventsDouble();
    let refusals = 0;
    events.refuse = () => refusals++ % 3 === 0 && refusals < 20;
    const count = await publishImageEvents(events.client, Array.from({ length: 25 }, (_, i) => detail(i)), 'bus', { ...NO_WAIT, attempts: 10 });
    expect(count).toBe(25);
    expect(events.details().map((d) => d.eventId).sort()).toEqual(Array.from({ length: 25 }, (_, i) => String(i)).sort());
    expect(events.calls).toBeGreaterThan(Math.ceil(25 / EVENTS_PER_CALL));
  });

  test('throws ThrottlingException (retried by the workflow) when entries are still refused after the last attempt', async () => {
    const events = new EventsDouble();
    events.refuse = () => true;
    await expect(publishImageEvents(events.client, [detail(1)], undefined, NO_WAIT)).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(events.calls).toBe(NO_WAIT.attempts);
  });
});
