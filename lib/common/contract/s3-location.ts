/** One S3 object (a manifest, an image, a results file): the one name for an S3 location. */
export interface S3Location {
  readonly bucket: string;
  readonly key: string;
  /** The object version; absent: the current version. */
  readonly version?: string;
}

/** `s3://bucket/key`. */
export function s3Uri(location: Pick<S3Location, 'bucket' | 'key'>): string {
  return `s3://${location.bucket}/${location.key}`;
}

/** `s3://Bucket/Name` of an object as Rekognition's API describes it, or undefined when incomplete. */
export function s3UriOfApiObject(object: { readonly Bucket?: string; readonly Name?: string } | undefined): string | undefined {
  return object?.Bucket && object.Name ? s3Uri({ bucket: object.Bucket, key: object.Name }) : undefined;
}
