import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_S3_CLIENT_ENV } from '../local-s3';

// The SDK reads these at client creation: s3rver does not understand the newer checksums.
Object.assign(process.env, LOCAL_S3_CLIENT_ENV);

export { localS3Client } from '../local-s3';

export async function putText(s3: S3Client, bucket: string, key: string, body: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

export async function getText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return response.Body!.transformToString('utf8');
}

export async function getJsonLines<T = any>(s3: S3Client, bucket: string, key: string): Promise<T[]> {
  return (await getText(s3, bucket, key)).split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as T);
}

export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((object) => object.Key!));
    token = page.NextContinuationToken;
  } while (token);
  return keys.sort();
}
