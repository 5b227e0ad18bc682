import { expect } from "chai";
import { join } from "node:path";
import { builtBatch, Journal } from "../../src/pipeline/journal";
import { reconcile, REORG_WINDOW_BLOCKS } from "../../src/pipeline/stages/reconcile";
import type { PipelineContext } from "../../src/pipeline/stages/context";
import { scratchDir } from "../helpers/scenario";

const TERMINAL = `0x${"ab".repeat(32)}`;
const rootOf = (period: number) => `0x${period.toString(16).padStart(64, "0")}`;

/** A journal of `periods` done periods, one batch each, confirmed as batch `period` in block `period`. */
function anchoredJournal(periods: number): Journal {
  const journal = new Journal(join(scratchDir("reconcile"), "journal.sqlite"));
  for (let period = 1; period <= periods; period++) {
    const batch = builtBatch({
      batchKey: `p${period}-readings`,
      period,
      dataType: 21,
      root: rootOf(period),
      recordCount: 1,
      generatorBus: 1,
      terminalId: TERMINAL,
    });
    journal.recordPeriod({ period, state: "validated", generatorBus: 1, routing: "{}", tBuildMs: 1 }, [], [batch]);
    journal.updateBatch(batch.batchKey, "confirmed", {
      txHash: `0x${"ee".repeat(32)}`,
      blockNumber: period,
      batchId: period,
    });
    journal.completePeriod(period);
  }
  return journal;
}

/** A chain whose acquisition contract holds `anchored` (root -> batch id and block), counting the lookups. */
function fakeChain(head: number, anchored: Map<string, number>) {
  const lookups: string[] = [];
  const ctx = {
    chain: {
      core: {
        acquisition: {
          batchByRoot: async (root: string) => {
            lookups.push(root);
            const at = anchored.get(root);
            return at === undefined
              ? { anchoredAt: 0n, batchId: 0n, blockNumber: 0n }
              : { anchoredAt: 1n, batchId: BigInt(at), blockNumber: BigInt(at) };
          },
        },
      },
    },
    provider: { getBlockNumber: async () => head },
    log: () => undefined,
  } as unknown as Pick<PipelineContext, "chain" | "provider" | "log">;
  return { ctx, lookups };
}

describe("reconcile on resume", function () {
  const PERIODS = 300;

  it("checks the anchors a reorganisation may still move one by one, and the deeper ones by one probe", async function () {
    const journal = anchoredJournal(PERIODS);
    const head = PERIODS + 10;
    const { ctx, lookups } = fakeChain(
      head,
      new Map(Array.from({ length: PERIODS }, (_, i) => [rootOf(i + 1), i + 1])),
    );
    await reconcile({ ...ctx, journal });
    const inWindow = PERIODS - (head - REORG_WINDOW_BLOCKS);
    // The probe (the newest deep anchor) plus one lookup per anchor within the window; not one per anchor ever made.
    expect(lookups.length).to.equal(inWindow + 1);
    expect(lookups[0]).to.equal(rootOf(head - REORG_WINDOW_BLOCKS));
    expect(journal.batches({ state: "confirmed" }).length).to.equal(PERIODS);
    expect(journal.periods().every((p) => p.state === "done")).to.equal(true);
  });

  it("checks every anchor when the probe is gone: a node that lost its state anchors them again", async function () {
    const journal = anchoredJournal(PERIODS);
    // The node restarted from block 100 and has mined on since: anchors after block 100 are gone.
    const { ctx, lookups } = fakeChain(
      PERIODS + 10,
      new Map(Array.from({ length: 100 }, (_, i) => [rootOf(i + 1), i + 1])),
    );
    await reconcile({ ...ctx, journal });
    expect(lookups.length).to.equal(PERIODS + 1);
    expect(journal.batches({ state: "confirmed" }).map((b) => b.period)).to.deep.equal(
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    expect(journal.batches({ state: "built" }).length).to.equal(PERIODS - 100);
    const reopened = journal
      .periods()
      .filter((p) => p.state !== "done")
      .map((p) => p.period);
    expect(reopened).to.deep.equal(Array.from({ length: PERIODS - 100 }, (_, i) => i + 101));
  });
});
