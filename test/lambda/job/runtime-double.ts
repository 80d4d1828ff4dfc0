import { RekognitionClient } from '@aws-sdk/client-rekognition';
import type { HandlerRuntime } from '../../../lambda/job/runtime';

/** A runtime whose clock only moves when the handler sleeps (or a test says so). */
export class FakeRuntime {
  public readonly sleeps: number[] = [];
  public clock = 0;
  public readonly runtime: HandlerRuntime;

  constructor(overrides: Partial<HandlerRuntime> = {}) {
    this.runtime = {
      rekognition: new RekognitionClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
      now: () => this.clock,
      sleep: async (milliseconds) => {
        this.sleeps.push(milliseconds);
        this.clock += milliseconds;
      },
      random: () => 0.5,
      ...overrides,
    };
  }
}
