// nb.data.DistributedSampler against torch.utils.data.DistributedSampler's index lists
// (scripts/fixtures/distributed_sampler.py → test/fixtures/distributed_sampler.json), and the
// shuffled shards by their properties (nabla's shuffle comes from its own generator).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as nb from "../../src/index.js";

interface Case { n: number; numReplicas: number; dropLast: boolean; shards: { indices: number[]; length: number }[] }
const fixture = JSON.parse(readFileSync(new URL("../fixtures/distributed_sampler.json", import.meta.url), "utf8")) as { cases: Case[] };
const sized = (n: number) => ({ length: n });

test("without shuffling every rank's indices and length are torch's (padding, dropLast, more ranks than samples)", () => {
  assert.ok(fixture.cases.length >= 9);
  for (const c of fixture.cases) {
    c.shards.forEach((shard, rank) => {
      const s = new nb.data.DistributedSampler(sized(c.n), { numReplicas: c.numReplicas, rank, shuffle: false, dropLast: c.dropLast });
      const where = `n=${c.n} replicas=${c.numReplicas} dropLast=${c.dropLast} rank=${rank}`;
      assert.deepEqual([...s], shard.indices, where);
      assert.equal(s.length, shard.length, where);
    });
  }
});

test("shuffled: the shards of an epoch cover the dataset (padded equally), the same on every rank for a seed, new each epoch", () => {
  const n = 23, replicas = 4;
  const shards = (epoch: number, seed = 5) => Array.from({ length: replicas }, (_, rank) => {
    const s = new nb.data.DistributedSampler(sized(n), { numReplicas: replicas, rank, seed });
    s.setEpoch(epoch);
    return s.indices();
  });
  const e0 = shards(0);
  assert.deepEqual(e0.map((s) => s.length), [6, 6, 6, 6]);
  const all = e0.flat();
  assert.deepEqual([...new Set(all)].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
  assert.equal(all.length - new Set(all).size, 1, "one index repeated as padding (24 − 23)");
  assert.deepEqual(shards(0), e0, "the same seed and epoch give the same shards");
  assert.notDeepEqual(shards(1), e0, "setEpoch changes the order");
  assert.notDeepEqual(shards(0, 6), e0, "another seed changes the order");
  const dropped = Array.from({ length: replicas }, (_, rank) => new nb.data.DistributedSampler(sized(n), { numReplicas: replicas, rank, seed: 5, dropLast: true }).indices());
  assert.deepEqual(dropped.map((s) => s.length), [5, 5, 5, 5]);
  assert.equal(new Set(dropped.flat()).size, 20, "dropLast: no index twice");
});

test("a DataLoader reads a rank's shard through its sampler option", () => {
  const ds = new nb.data.TensorDataset(nb.arange(10).reshape([10, 1]), nb.arange(10, undefined, 1, { dtype: "int32" }));
  const sampler = new nb.data.DistributedSampler(ds, { numReplicas: 3, rank: 1, shuffle: false });
  const loader = new nb.data.DataLoader(ds, { batchSize: 2, sampler });
  assert.equal(loader.length, 2);
  assert.deepEqual([...loader].map(([, y]) => y.toArray()), [[1, 4], [7, 0]]);
  assert.throws(() => new nb.data.DataLoader(ds, { sampler, shuffle: true }), /DataLoader: sampler and shuffle: true are exclusive/);
});

test("bad options are named; outside a process group numReplicas and rank are required", () => {
  assert.throws(() => new nb.data.DistributedSampler(sized(4)), /DistributedSampler: numReplicas is not given and there is no process group/);
  assert.throws(() => new nb.data.DistributedSampler(sized(4), { numReplicas: 2, rank: 2 }), /rank must be in 0 … 1 \(numReplicas 2\), got 2/);
  assert.throws(() => new nb.data.DistributedSampler(sized(4), { numReplicas: 0, rank: 0 }), /numReplicas must be a positive integer, got 0/);
  assert.throws(() => new nb.data.DistributedSampler(sized(4), { numReplicas: 2, rank: 0, shufle: true } as never), /shufle/);
  assert.throws(() => new nb.data.DistributedSampler(sized(4), { numReplicas: 2, rank: 0 }).setEpoch(-1), /setEpoch: epoch must be a non-negative integer, got -1/);
});
