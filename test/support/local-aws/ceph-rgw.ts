import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

// A one-node Ceph cluster with the RADOS Gateway, the local S3 server that enforces bucket
// policies (s3rver ignores them): a monitor, one OSD keeping its objects in memory (memstore), and
// radosgw on 127.0.0.1, all children of this process, in a temporary folder, without systemd.
// Cephx is off (auth none); S3 requests are still signed and checked against RGW's own users.

const BINARIES = ['ceph', 'ceph-authtool', 'monmaptool', 'ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin'];
const run = promisify(execFile);

/** An RGW user: S3 keys and the principal ARN bucket policies name it by. */
export interface RgwUser {
  readonly uid: string;
  readonly arn: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface CephRgw {
  /** http://127.0.0.1:<port>, path-style. */
  readonly endpoint: string;
  /** Creates the buckets: RGW lets the owner bypass nothing in a Deny, but only it may set the policy. */
  readonly owner: RgwUser;
  /** Reads images like an application would (needs an Allow in the bucket policy). */
  readonly reader: RgwUser;
  /** The principal exempted from the quarantine Deny. */
  readonly reviewer: RgwUser;
  /** Stops the three daemons and removes the folder. */
  stop(): Promise<void>;
}

/** Binaries missing from PATH; `.ci/install-ceph` installs them. */
export function missingCephBinaries(): string[] {
  const path = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '');
  return BINARIES.filter((binary) => !path.some((dir) => existsSync(join(dir, binary))));
}

/** Starts the cluster and creates the owner, reader and reviewer users. Fails (never skips) without Ceph. */
export async function startCephRgw(): Promise<CephRgw> {
  const missing = missingCephBinaries();
  if (missing.length > 0) {
    throw new Error(`Ceph is not installed (missing ${missing.join(', ')}): run .ci/install-ceph (Debian/Ubuntu, as root) and try again`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'ceph-rgw-'));
  const [monPort, rgwPort] = await freePorts(2);
  const conf = join(dir, 'ceph.conf');
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.reverse().map(terminate));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const fsid = randomUUID();
    for (const sub of ['run', 'log', 'mon.a', 'osd.0', 'rgw']) mkdirSync(join(dir, sub));
    writeFileSync(conf, cephConf(dir, fsid, monPort, rgwPort));
    const keyring = join(dir, 'keyring');
    await run('ceph-authtool', ['--create-keyring', keyring, '--gen-key', '-n', 'mon.', '--cap', 'mon', 'allow *']);
    await run('monmaptool', ['--create', '--fsid', fsid, '--addv', 'a', `[v2:127.0.0.1:${monPort}]`, join(dir, 'monmap')]);
    await run('ceph-mon', ['-c', conf, '-i', 'a', '--mkfs', '--monmap', join(dir, 'monmap')]);
    children.push(daemon('ceph-mon', ['-c', conf, '-i', 'a', '-f']));
    const osdUuid = randomUUID();
    // Waits for the monitor to answer.
    await run('ceph', ['-c', conf, '--connect-timeout', '30', 'osd', 'new', osdUuid]);
    await run('ceph-osd', ['-c', conf, '-i', '0', '--mkfs', '--osd-uuid', osdUuid]);
    children.push(daemon('ceph-osd', ['-c', conf, '-i', '0', '-f']));
    children.push(daemon('radosgw', ['-c', conf, '-n', 'client.rgw', '-f']));
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    // RGW answers once it has created its pools on the OSD.
    await waitForHttp(endpoint, 120_000, children);
    const [owner, reader, reviewer] = await Promise.all(['owner', 'reader', 'reviewer'].map((uid) => createUser(conf, uid)));
    return { endpoint, owner, reader, reviewer, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** An SDK v3 S3 client for one RGW user: path-style, no retries (each denial is seen). */
export function rgwClient(rgw: CephRgw, user: RgwUser, overrides: S3ClientConfig = {}): S3Client {
  return new S3Client({ region: 'us-east-1', endpoint: rgw.endpoint, forcePathStyle: true, credentials: user.credentials, maxAttempts: 1, ...overrides });
}

function cephConf(dir: string, fsid: string, monPort: number, rgwPort: number): string {
  return `[global]
fsid = ${fsid}
mon host = v2:127.0.0.1:${monPort}
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
# With auth none only crc mode exists; radosgw would ask the monitor for secure mode and never connect.
ms mon client mode = crc
ms client mode = crc
ms bind ipv6 = false
osd pool default size = 1
osd pool default min size = 1
# RGW creates about eight pools: at the default 32 PGs each, one OSD would pass mon_max_pg_per_osd.
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
# RGW's pools and users are made one map change at a time: with the default second between
# proposals the cluster took 18 s to serve its first request instead of 10.
paxos propose interval = 0.01
paxos min wait = 0.01
mon warn on pool no redundancy = false
mon data avail warn = 1
osd crush chooseleaf type = 0
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
log file = ${dir}/log/$name.log
keyring = ${dir}/keyring
[mon]
mon data = ${dir}/mon.$id
[osd]
osd data = ${dir}/osd.$id
osd objectstore = memstore
memstore device bytes = 1073741824
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw data = ${dir}/rgw
# Three log lines per request cost time on a shared two-core machine.
debug rgw = 0/0
debug ms = 0/0
`;
}

async function createUser(conf: string, uid: string): Promise<RgwUser> {
  const credentials = { accessKeyId: `${uid.toUpperCase()}ACCESSKEY`, secretAccessKey: `${uid}-secret-${randomUUID()}` };
  await run('radosgw-admin', ['-c', conf, '-n', 'client.rgw', 'user', 'create', `--uid=${uid}`, `--display-name=${uid}`,
    `--access-key=${credentials.accessKeyId}`, `--secret-key=${credentials.secretAccessKey}`]);
  return { uid, arn: `arn:aws:iam:::user/${uid}`, credentials };
}

function daemon(command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { stdio: 'ignore' });
  child.on('error', () => undefined);
  return child;
}

/** SIGKILL: the cluster is thrown away with its folder, and radosgw takes seconds over SIGTERM. */
async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function waitForHttp(url: string, timeoutMs: number, children: ChildProcess[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const dead = children.find((child) => child.exitCode !== null);
    if (dead) throw new Error(`${dead.spawnfile} exited with ${dead.exitCode} before RGW answered`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`RGW did not answer at ${url} within ${timeoutMs} ms`);
}

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve(server));
  })));
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
