import { ConfigError, EnvironmentReader, numberProblem, writeEnvironment } from '../../../../lib/common/contract/environment';

describe('writeEnvironment', () => {
  test('leaves out absent settings and joins lists with commas', () => {
    expect(writeEnvironment({ A: 'x', B: undefined, C: 3, D: false, E: ['b1', 'b2'] }))
      .toEqual({ A: 'x', C: '3', D: 'false', E: 'b1,b2' });
  });

  test('writes every value through the given stringify (the construct passes a token-aware one)', () => {
    expect(writeEnvironment({ A: 1, B: 'y' }, (value) => `<${value}>`)).toEqual({ A: '<1>', B: '<y>' });
  });

  test('what it writes reads back the same', () => {
    const env = writeEnvironment({ N: 0.5, F: true, L: ['a', 'b'], S: '' });
    const reader = new EnvironmentReader(env);
    expect([reader.requiredNumber('N'), reader.boolean('F', false), reader.optionalList('L'), reader.string('S', 'default')])
      .toEqual([0.5, true, ['a', 'b'], '']);
  });
});

describe('EnvironmentReader', () => {
  const read = (env: Record<string, string>) => new EnvironmentReader(env);

  test('fails naming the variable when a required one is absent or empty', () => {
    expect(() => read({}).requiredString('OUTPUT_BUCKET')).toThrow(new ConfigError('OUTPUT_BUCKET', 'is required'));
    expect(() => read({ OUTPUT_BUCKET: '' }).requiredString('OUTPUT_BUCKET')).toThrow(/OUTPUT_BUCKET is required/);
  });

  test('fails naming the variable and the value given when a check refuses it', () => {
    const check = (value: string) => (value.includes(' ') ? 'must have no spaces' : undefined);
    expect(() => read({ P: 'a b' }).requiredString('P', check)).toThrow('Environment variable P must have no spaces (given "a b")');
    expect(read({ P: 'ab' }).requiredString('P', check)).toBe('ab');
  });

  test('numbers: defaults when absent, ranges checked, text refused', () => {
    expect(read({}).number('N', 5, { min: 1 })).toBe(5);
    expect(read({ N: '7' }).number('N', 5, { min: 1, integer: true })).toBe(7);
    expect(() => read({ N: '0' }).number('N', 5, { min: 1, integer: true })).toThrow('N must be a whole number of at least 1 (given "0")');
    expect(() => read({ N: '1.5' }).number('N', 5, { integer: true })).toThrow(/whole number/);
    expect(() => read({ N: 'abc' }).optionalNumber('N')).toThrow('N must be a number (given "abc")');
    expect(() => read({ N: ' ' }).optionalNumber('N')).toThrow(/must be a number/);
    expect(() => read({ N: '101' }).optionalNumber('N', { min: 0, max: 100 })).toThrow('N must be a number from 0 to 100 (given "101")');
  });

  test('booleans are exactly true or false', () => {
    expect(read({ F: 'true' }).boolean('F', false)).toBe(true);
    expect(read({}).boolean('F', true)).toBe(true);
    expect(() => read({ F: 'yes' }).optionalBoolean('F')).toThrow(`F must be 'true' or 'false' (given "yes")`);
  });

  test('oneOf names the allowed values', () => {
    expect(read({ E: 'b' }).oneOf('E', ['a', 'b'], 'a')).toBe('b');
    expect(read({}).oneOf('E', ['a', 'b'], 'a')).toBe('a');
    expect(() => read({ E: 'c' }).oneOf('E', ['a', 'b'], 'a')).toThrow(`E must be 'a', 'b' (given "c")`);
  });

  test('lists ignore blanks and check every item', () => {
    expect(read({ L: ' a, ,b ' }).optionalList('L')).toEqual(['a', 'b']);
    expect(read({ L: ' , ' }).optionalList('L')).toBeUndefined();
    const check = (item: string) => (item.length < 3 ? 'must name buckets' : undefined);
    expect(() => read({ L: 'abc,x' }).optionalList('L', check)).toThrow('L must name buckets (given "x" in "abc,x")');
  });

  test('a string with a default keeps an empty value (a prefix at the root)', () => {
    expect(read({ P: '' }).string('P', 'results/')).toBe('');
    expect(read({}).string('P', 'results/')).toBe('results/');
  });

  test('ConfigError carries the variable and a stable name', () => {
    const error = new ConfigError('X', 'is required');
    expect([error.name, error.variable, error.message]).toEqual(['ConfigError', 'X', 'Environment variable X is required']);
  });
});

describe('numberProblem', () => {
  test.each([
    [5, {}, undefined],
    [NaN, {}, 'must be a number'],
    [Infinity, { max: 1 }, 'must be a number of at most 1'],
    [0, { min: 1, max: 1000, integer: true }, 'must be a whole number from 1 to 1000'],
    [2.5, { min: 1, integer: true }, 'must be a whole number of at least 1'],
  ])('%p in %p: %p', (value, range, problem) => {
    expect(numberProblem(value, range)).toBe(problem);
  });
});
