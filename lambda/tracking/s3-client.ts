import { S3Client } from '@aws-sdk/client-s3';

// Loaded with import() once a job has finished, so polls never load the S3 SDK. One client per
// container. Test-only: S3_FORCE_PATH_STYLE=true lets a local S3 server (s3rver) stand in for S3.
export const s3 = new S3Client({ forcePathStyle: process.env.S3_FORCE_PATH_STYLE === 'true' });
