// Calls a real Veilig server with the generated client over each of the three protocols the
// server speaks on one port: Connect (HTTP/1.1), gRPC (HTTP/2 without TLS, h2c) and gRPC-Web
// (HTTP/1.1). Each protocol gets the same script: GetMe, a first Pull, a Subscribe stream that
// must poke when a Push changes the household, and a Pull from the new cursors that brings the
// pushed edit back.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";

import { DirectoryService } from "../gen/veilig/v1/directory_pb.js";
import { MutationOutcome, RecordKind, SyncService, type Cursor } from "../gen/veilig/v1/sync_pb.js";
import { startServer, type TestServer } from "./server.js";

let server: TestServer;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

const protocols: Record<string, (baseUrl: string, interceptors: Interceptor[]) => Transport> = {
  connect: (baseUrl, interceptors) => createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors }),
  grpc: (baseUrl, interceptors) => createGrpcTransport({ baseUrl, interceptors }), // HTTP/2, h2c on http://
  "grpc-web": (baseUrl, interceptors) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors }),
};

/** A hybrid logical clock stamp (sync/hlc): milliseconds in the high 48 bits. */
function stampNow(): bigint {
  return BigInt(Date.now()) << 16n;
}

for (const [name, newTransport] of Object.entries(protocols)) {
  describe(`over ${name}`, () => {
    let transport: Transport;
    before(() => {
      const auth: Interceptor = (next) => (req) => {
        req.header.set("Authorization", `Bearer ${server.token}`);
        return next(req);
      };
      transport = newTransport(server.baseUrl, [auth]);
    });

    test("GetMe answers the token's professional", async () => {
      const me = await createClient(DirectoryService, transport).getMe({});
      assert.equal(me.professional?.id, server.leadId);
      assert.ok(me.organization?.id, "GetMe has the professional's organization");
    });

    test("Pull, Subscribe and Push keep a client in step", async () => {
      const sync = createClient(SyncService, transport);
      const first = await sync.pull({});
      const household = first.changes.find((c) => c.householdId === server.householdId);
      assert.ok(household, "the first pull brings the lead's household");
      assert.ok(household.records.length > 0, "with its plan");
      let cursors: Cursor[] = first.cursors;
      for (let page = first; page.hasMore; ) {
        page = await sync.pull({ cursors });
        cursors = page.cursors.length > 0 ? mergeCursors(cursors, page.cursors) : cursors;
      }

      const abort = new AbortController();
      const stream = sync.subscribe({}, { signal: abort.signal })[Symbol.asyncIterator]();
      try {
        const confirm = await stream.next();
        assert.equal(confirm.done, false);
        assert.deepEqual(confirm.value.householdIds, [], "the first message confirms the stream");

        const recordId = randomUUID();
        const value = `Afspraak via ${name}`;
        const pushed = await sync.push({
          mutations: [
            {
              id: randomUUID(),
              householdId: server.householdId,
              change: {
                case: "edit",
                value: {
                  kind: RecordKind.PLAN_ENTRY,
                  recordId,
                  section: "agreement",
                  fields: [{ field: "description", value, stamp: stampNow(), seen: 0n }],
                },
              },
            },
          ],
        });
        assert.equal(pushed.results.length, 1);
        assert.equal(pushed.results[0].outcome, MutationOutcome.APPLIED, pushed.results[0].detail);
        assert.ok(pushed.serverStamp > 0n);

        const poke = await withTimeout(stream.next(), 15_000, "no Subscribe poke after the push");
        assert.equal(poke.done, false);
        assert.ok(poke.value.householdIds.includes(server.householdId), "the poke names the household");

        const next = await sync.pull({ cursors });
        const changed = next.changes.find((c) => c.householdId === server.householdId);
        const record = changed?.records.find((r) => r.recordId === recordId);
        assert.equal(record?.section, "agreement");
        assert.equal(record?.fields.find((f) => f.field === "description")?.value, value);
      } finally {
        abort.abort();
        await stream.return?.();
      }
    });
  });
}

function mergeCursors(old: Cursor[], fresh: Cursor[]): Cursor[] {
  const byId = new Map(old.map((c) => [c.householdId, c]));
  for (const c of fresh) byId.set(c.householdId, c);
  return [...byId.values()];
}

async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, fail) => (timer = setTimeout(() => fail(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
