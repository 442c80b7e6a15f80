// The end-to-end checks with the AWS SDK for JavaScript v3, run by ../js_checks.py (which
// records each result in the suite's report) against run.sh's server.
//
// Prints one JSON object per line: {"versions": {...}} first, then one
// {"label", "status": "PASS"|"FAIL", "seconds", "detail"} per check, then {"done": N}.
//
// - create → assume → use: the root makes a role and a user with a key (IAM), the user
//   assumes the role (STS AssumeRole), the session calls GetCallerIdentity, an IAM read its
//   role allows and one it does not (AccessDenied with AWS's message); the same through the
//   fromTemporaryCredentials provider.
// - Workloads, with no static keys: fromInstanceMetadata (an instance started with
//   `portcullis instance run`, IMDSv2), fromContainerMetadata (a task started with `portcullis
//   task run`, with and without its AWS_CONTAINER_AUTHORIZATION_TOKEN), fromTokenFile and
//   fromWebToken (a token of the server's issuer, `portcullis token issue`), and the default
//   chain of a client given no credentials for each of them; static keys in the environment win
//   over the container credentials, as the README says.
//
// Environment: E2E_ENDPOINT, PORTCULLIS_ROOT_ACCESS_KEY_ID, PORTCULLIS_ROOT_SECRET_ACCESS_KEY,
// E2E_BIN (the portcullis binary), E2E_DATA_DIR (the server's data directory: its issuer's key),
// E2E_JS_WORKDIR (a directory for token files). No AWS_* variable is set when it starts.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import {
  AddRoleToInstanceProfileCommand,
  CreateAccessKeyCommand,
  CreateInstanceProfileCommand,
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetRoleCommand,
  IAMClient,
  ListUsersCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import {
  fromContainerMetadata,
  fromInstanceMetadata,
  fromTemporaryCredentials,
  fromTokenFile,
  fromWebToken,
} from "@aws-sdk/credential-providers";

const ACCOUNT = "123456789012";
const region = "us-east-1";
const endpoint = need("E2E_ENDPOINT");
const root = {
  accessKeyId: need("PORTCULLIS_ROOT_ACCESS_KEY_ID"),
  secretAccessKey: need("PORTCULLIS_ROOT_SECRET_ACCESS_KEY"),
};
const bin = need("E2E_BIN");
const dataDir = need("E2E_DATA_DIR");
const workdir = need("E2E_JS_WORKDIR");
const issuerHost = new URL(endpoint).host; // 127.0.0.1:PORT
const retries = { maxAttempts: 1 };

function need(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`checks.mjs: ${name} is not set`);
    process.exit(2);
  }
  return v;
}

// ------------------------------------------------------------------------------ reporting

let count = 0;
function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

async function check(label, fn) {
  const started = performance.now();
  count += 1;
  try {
    const value = await fn();
    emit({ label, status: "PASS", seconds: (performance.now() - started) / 1000 });
    return value;
  } catch (e) {
    const detail = e instanceof CheckFailed ? e.message : `${e?.name}: ${e?.message}\n${e?.stack ?? ""}`;
    emit({ label, status: "FAIL", seconds: (performance.now() - started) / 1000, detail });
    return undefined;
  }
}

class CheckFailed extends Error {}

function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) throw new CheckFailed(`${what}: expected ${b}, got ${a}`);
}

function match(pattern, value, what) {
  if (typeof value !== "string" || !new RegExp(`^(?:${pattern})$`).test(value)) {
    throw new CheckFailed(`${what}: ${JSON.stringify(value)} does not match /${pattern}/`);
  }
}

function ok(cond, what) {
  if (!cond) throw new CheckFailed(what);
}

async function rejects(promise, what) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new CheckFailed(`${what}: expected an error, got an answer`);
}

// ------------------------------------------------------------------------------ helpers

const iamAs = (credentials) => new IAMClient({ endpoint, region, credentials, ...retries });
const stsAs = (credentials) => new STSClient({ endpoint, region, credentials, ...retries });
const rootIam = iamAs(root);

const roleArn = (name) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const assumedArn = (role, session) => `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${session}`;
const trust = (principal, action = "sts:AssumeRole", condition = undefined) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: principal, Action: action, ...(condition ? { Condition: condition } : {}) }],
  });
const READ_ROLES = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "iam:GetRole", Resource: "*" }],
});
const listUsersDenied = (caller) =>
  `User: ${caller} is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::${ACCOUNT}:user/ ` +
  "because no identity-based policy allows the iam:ListUsers action";

async function makeRole(name, principal, action, condition) {
  const out = await rootIam.send(
    new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust(principal, action, condition) }),
  );
  eq(out.Role.Arn, roleArn(name), "Role.Arn");
  await rootIam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "ReadRoles", PolicyDocument: READ_ROLES }));
}

// GetCallerIdentity, GetRole (allowed by the role's policy) and ListUsers (denied) with
// `credentials` (static credentials or a provider); returns the caller's ARN.
async function sessionUse(credentials, role, sessionPattern) {
  const me = await stsAs(credentials).send(new GetCallerIdentityCommand({}));
  match(`${assumedArn(role, "").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?:${sessionPattern})`, me.Arn, "Arn");
  eq(me.Account, ACCOUNT, "Account");
  match(`AROA[A-Z0-9]{17}:(?:${sessionPattern})`, me.UserId, "UserId");
  const got = await iamAs(credentials).send(new GetRoleCommand({ RoleName: role }));
  eq(got.Role.Arn, roleArn(role), "GetRole (allowed by the role's policy): Role.Arn");
  const denied = await rejects(iamAs(credentials).send(new ListUsersCommand({})), "ListUsers");
  eq(
    [denied.name, denied.$metadata?.httpStatusCode, denied.message],
    ["AccessDenied", 403, listUsersDenied(me.Arn)],
    "ListUsers (not allowed): [name, status, message]",
  );
  return me.Arn;
}

function portcullis(...args) {
  return execFileSync(bin, args, {
    encoding: "utf8",
    env: { ...process.env, AWS_ACCESS_KEY_ID: root.accessKeyId, AWS_SECRET_ACCESS_KEY: root.secretAccessKey },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 60_000,
  });
}

// Runs `fn` with exactly these AWS_* variables in the environment (none of the others).
async function withAwsEnv(vars, fn) {
  const saved = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("AWS_")));
  for (const k of Object.keys(saved)) delete process.env[k];
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const k of Object.keys(process.env)) if (k.startsWith("AWS_")) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

// A client given no credentials: the SDK's default chain finds them.
const defaultChainCaller = () => new STSClient({ endpoint, region, ...retries }).send(new GetCallerIdentityCommand({}));

// ------------------------------------------------------------------------------ checks

async function createAssumeUse() {
  const role = "js-app-role";
  const user = "js-app-user";
  const made = await check(`IAM (root): create role ${role} trusting the account, user ${user} allowed sts:AssumeRole on it, an access key`, async () => {
    await makeRole(role, { AWS: `arn:aws:iam::${ACCOUNT}:root` });
    const u = await rootIam.send(new CreateUserCommand({ UserName: user }));
    eq(u.User.Arn, `arn:aws:iam::${ACCOUNT}:user/${user}`, "User.Arn");
    match("AIDA[A-Z0-9]{17}", u.User.UserId, "User.UserId");
    await rootIam.send(
      new PutUserPolicyCommand({
        UserName: user,
        PolicyName: "AssumeAppRole",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: roleArn(role) }],
        }),
      }),
    );
    const k = await rootIam.send(new CreateAccessKeyCommand({ UserName: user }));
    match("AKIA[A-Z0-9]{16}", k.AccessKey.AccessKeyId, "AccessKey.AccessKeyId");
    eq(k.AccessKey.Status, "Active", "AccessKey.Status");
    return { accessKeyId: k.AccessKey.AccessKeyId, secretAccessKey: k.AccessKey.SecretAccessKey };
  });
  if (!made) return;
  await check(`STS GetCallerIdentity with ${user}'s key: the user`, async () => {
    const me = await stsAs(made).send(new GetCallerIdentityCommand({}));
    eq(me.Arn, `arn:aws:iam::${ACCOUNT}:user/${user}`, "Arn");
    match("AIDA[A-Z0-9]{17}", me.UserId, "UserId");
  });
  const session = await check(`STS AssumeRole ${role} as ${user} (session js-session)`, async () => {
    const out = await stsAs(made).send(new AssumeRoleCommand({ RoleArn: roleArn(role), RoleSessionName: "js-session" }));
    eq(out.AssumedRoleUser.Arn, assumedArn(role, "js-session"), "AssumedRoleUser.Arn");
    match("AROA[A-Z0-9]{17}:js-session", out.AssumedRoleUser.AssumedRoleId, "AssumedRoleUser.AssumedRoleId");
    match("ASIA[A-Z0-9]{16}", out.Credentials.AccessKeyId, "Credentials.AccessKeyId");
    ok(out.Credentials.Expiration instanceof Date && out.Credentials.Expiration > new Date(), "Expiration in the future");
    return {
      accessKeyId: out.Credentials.AccessKeyId,
      secretAccessKey: out.Credentials.SecretAccessKey,
      sessionToken: out.Credentials.SessionToken,
    };
  });
  if (session) {
    await check("the session's credentials: GetCallerIdentity is the assumed role, GetRole allowed, ListUsers denied", () =>
      sessionUse(session, role, "js-session"),
    );
  }
  await check("fromTemporaryCredentials (the user's key, AssumeRole): GetCallerIdentity, GetRole, ListUsers", () =>
    sessionUse(
      fromTemporaryCredentials({
        masterCredentials: made,
        params: { RoleArn: roleArn(role), RoleSessionName: "js-temporary" },
        clientConfig: { endpoint, region },
      }),
      role,
      "js-temporary",
    ),
  );
}

async function instanceMetadata() {
  const role = "js-ec2-role";
  const profile = "js-ec2-profile";
  const instance = await check(`an instance of ${profile} (role ${role} trusting ec2.amazonaws.com): portcullis instance run`, async () => {
    await makeRole(role, { Service: "ec2.amazonaws.com" });
    await rootIam.send(new CreateInstanceProfileCommand({ InstanceProfileName: profile }));
    await rootIam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: profile, RoleName: role }));
    const out = portcullis("instance", "run", "--instance-profile", profile, "--endpoint-url", endpoint);
    const m = /^(i-[0-9a-f]{17})\t(http:\/\/127\.0\.0\.1:\d+)\n$/.exec(out);
    ok(m, `output ${JSON.stringify(out)} is INSTANCE_ID<TAB>IMDS_URL`);
    return { id: m[1], url: m[2] };
  });
  if (!instance) return;
  const env = { AWS_EC2_METADATA_SERVICE_ENDPOINT: `${instance.url}/` };
  await check("fromInstanceMetadata (IMDSv2): the instance's role session, GetRole allowed, ListUsers denied", () =>
    withAwsEnv(env, async () => {
      const provider = fromInstanceMetadata({ maxRetries: 0, timeout: 5000 });
      const c = await provider();
      match("ASIA[A-Z0-9]{16}", c.accessKeyId, "accessKeyId");
      ok(c.sessionToken && c.expiration instanceof Date, "a session token and an expiration");
      eq(await sessionUse(provider, role, instance.id), assumedArn(role, instance.id), "the session is named after the instance");
    }),
  );
  await check("the default chain with only AWS_EC2_METADATA_SERVICE_ENDPOINT: the instance's role session", () =>
    withAwsEnv(env, async () => eq((await defaultChainCaller()).Arn, assumedArn(role, instance.id), "Arn")),
  );
  await check("portcullis instance terminate", async () => {
    portcullis("instance", "terminate", instance.id, "--endpoint-url", endpoint);
  });
}

async function containerMetadata() {
  const role = "js-task-role";
  const task = await check(`a task of ${role} (trusting ecs-tasks.amazonaws.com): portcullis task run`, async () => {
    await makeRole(role, { Service: "ecs-tasks.amazonaws.com" });
    const out = portcullis("task", "run", "--task-role-arn", roleArn(role), "--endpoint-url", endpoint);
    const id = /^# arn:aws:ecs:us-east-1:\d{12}:task\/default\/([0-9a-f]{32})$/m.exec(out);
    ok(id, `the task's ARN as the first line: ${JSON.stringify(out.split("\n")[0])}`);
    const exports = Object.fromEntries([...out.matchAll(/^export (\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
    eq(Object.keys(exports).sort(), ["AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_CREDENTIALS_FULL_URI"], "exports");
    return { id: id[1], env: exports };
  });
  if (!task) return;
  await check("fromContainerMetadata (FULL_URI with the authorization token): the task's role session, GetRole, ListUsers", () =>
    withAwsEnv(task.env, async () => {
      const provider = fromContainerMetadata({ maxRetries: 0, timeout: 5000 });
      const c = await provider();
      match("ASIA[A-Z0-9]{16}", c.accessKeyId, "accessKeyId");
      eq(await sessionUse(provider, role, task.id), assumedArn(role, task.id), "the session is named after the task");
    }),
  );
  await check("fromContainerMetadata without AWS_CONTAINER_AUTHORIZATION_TOKEN: refused (401)", () =>
    withAwsEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: task.env.AWS_CONTAINER_CREDENTIALS_FULL_URI }, async () => {
      const e = await rejects(fromContainerMetadata({ maxRetries: 0, timeout: 5000 })(), "fromContainerMetadata");
      ok(/401|AccessDenied|authorization token/i.test(`${e.message} ${e.statusCode ?? ""}`), `the error names the refusal: ${e.message}`);
    }),
  );
  await check("the default chain with only the container's two variables: the task's role session", () =>
    withAwsEnv(task.env, async () => eq((await defaultChainCaller()).Arn, assumedArn(role, task.id), "Arn")),
  );
  await check("the default chain with static keys too: the keys win (the root), as the README warns", () =>
    withAwsEnv(
      { ...task.env, AWS_ACCESS_KEY_ID: root.accessKeyId, AWS_SECRET_ACCESS_KEY: root.secretAccessKey },
      async () => eq((await defaultChainCaller()).Arn, `arn:aws:iam::${ACCOUNT}:root`, "Arn"),
    ),
  );
}

async function webIdentity() {
  const role = "js-web-role";
  const sub = "system:serviceaccount:js:app";
  const issuer = `${endpoint}/oidc`;
  const provider = `arn:aws:iam::${ACCOUNT}:oidc-provider/${issuerHost}/oidc`;
  const tokens = await check(`role ${role} trusting the server's issuer for ${sub}; portcullis token issue`, async () => {
    try {
      await rootIam.send(new CreateOpenIDConnectProviderCommand({ Url: issuer, ClientIDList: ["sts.amazonaws.com"] }));
    } catch (e) {
      // The Python workload checks made it already; either way it is there now.
      if (e.name !== "EntityAlreadyExistsException") throw e;
    }
    await makeRole(role, { Federated: provider }, "sts:AssumeRoleWithWebIdentity", {
      StringEquals: { [`${issuerHost}/oidc:sub`]: sub, [`${issuerHost}/oidc:aud`]: "sts.amazonaws.com" },
    });
    const issue = (who, file) => {
      const path = join(workdir, file);
      portcullis("token", "issue", "--data-dir", dataDir, "--sub", who, "--aud", "sts.amazonaws.com", "--out", path);
      const claims = JSON.parse(Buffer.from(readFileSync(path, "utf8").trim().split(".")[1], "base64url"));
      eq([claims.iss, claims.sub, claims.aud], [issuer, who, "sts.amazonaws.com"], "(iss, sub, aud)");
      return path;
    };
    return { app: issue(sub, "js-app.jwt"), intruder: issue("system:serviceaccount:js:intruder", "js-intruder.jwt") };
  });
  if (!tokens) return;
  const clientConfig = { endpoint, region };
  await check("fromTokenFile (AssumeRoleWithWebIdentity): the role session, GetRole allowed, ListUsers denied", () =>
    sessionUse(
      fromTokenFile({ webIdentityTokenFile: tokens.app, roleArn: roleArn(role), roleSessionName: "js-token-file", clientConfig }),
      role,
      "js-token-file",
    ),
  );
  await check("fromWebToken (the token's text): the role session, GetRole allowed, ListUsers denied", () =>
    sessionUse(
      fromWebToken({
        webIdentityToken: readFileSync(tokens.app, "utf8").trim(),
        roleArn: roleArn(role),
        roleSessionName: "js-web-token",
        clientConfig,
      }),
      role,
      "js-web-token",
    ),
  );
  await check("fromWebToken with another subject's token: AccessDenied", async () => {
    const e = await rejects(
      fromWebToken({
        webIdentityToken: readFileSync(tokens.intruder, "utf8").trim(),
        roleArn: roleArn(role),
        roleSessionName: "js-intruder",
        clientConfig,
      })(),
      "fromWebToken",
    );
    eq([e.name, e.message], ["AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"], "[name, message]");
  });
  await check("the default chain with AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN and AWS_ENDPOINT_URL_STS: the role session", () =>
    withAwsEnv(
      {
        AWS_WEB_IDENTITY_TOKEN_FILE: tokens.app,
        AWS_ROLE_ARN: roleArn(role),
        AWS_ROLE_SESSION_NAME: "js-default-chain",
        AWS_ENDPOINT_URL_STS: endpoint,
        AWS_REGION: region,
      },
      async () => {
        const me = await new STSClient({ ...retries }).send(new GetCallerIdentityCommand({}));
        eq(me.Arn, assumedArn(role, "js-default-chain"), "Arn");
      },
    ),
  );
}

// ------------------------------------------------------------------------------ main

const require = createRequire(import.meta.url);
const versions = { node: process.versions.node };
for (const p of ["@aws-sdk/client-iam", "@aws-sdk/client-sts", "@aws-sdk/credential-providers"]) {
  versions[p] = JSON.parse(readFileSync(require.resolve(`${p}/package.json`), "utf8")).version;
}
emit({ versions });
for (const part of [createAssumeUse, instanceMetadata, containerMetadata, webIdentity]) {
  try {
    await part();
  } catch (e) {
    count += 1;
    emit({ label: `${part.name} stopped`, status: "FAIL", seconds: 0, detail: `${e?.stack ?? e}` });
  }
}
emit({ done: count });
