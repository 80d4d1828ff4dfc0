import { Aws, Fn } from 'aws-cdk-lib';

/**
 * The UUID CloudFormation gives this deployment of the stack (the last part of its stack ID): it
 * differs between two stacks of one name in one account, and between a destroyed stack and the
 * next deployment of it. Physical names built on it never collide with a retained resource.
 */
export function stackInstanceId(): string {
  return Fn.select(2, Fn.split('/', Aws.STACK_ID));
}
