import { describe, expect, it, vi } from "vitest";

import { makeJob } from "../test/fixtures";
import { isFinishedPhase, isPausablePhase, JobStore, phaseKey } from "./store";

describe("JobStore", () => {
  it("apply replaces snapshot", () => {
    const store = new JobStore();
    store.apply(makeJob({ id: 7, phase: "preparing", preparePercent: 10 }));
    store.apply(makeJob({ id: 7, phase: "preparing", preparePercent: 45 }));

    expect(store.getJobs()).toHaveLength(1);
    expect(store.getJobs()[0]?.preparePercent).toBe(45);
  });

  it("progress keeps phase index", () => {
    const store = new JobStore();
    store.apply(makeJob({ id: 1, phase: "transferring", bytesDone: 1 }));
    const before = store.getPhases();

    store.apply(makeJob({ id: 1, phase: "transferring", bytesDone: 2 }));

    expect(store.getPhases()).toBe(before);
  });

  it("phase change replaces index", () => {
    const store = new JobStore();
    store.apply(makeJob({ id: 1, phase: "transferring" }));
    const before = store.getPhases();

    store.apply(makeJob({ id: 1, phase: "verifying" }));

    expect(store.getPhases()).not.toBe(before);
    expect(store.getPhases().get(phaseKey(makeJob().uid, "default"))).toBe("verifying");
  });

  it("newest job wins phase index", () => {
    const store = new JobStore();
    store.apply(makeJob({ id: 2, phase: "preparing" }));
    store.apply(makeJob({ id: 1, phase: "failed" }));

    expect(store.getPhases().get(phaseKey(makeJob().uid, "default"))).toBe("preparing");
  });

  it("seed keeps channel snapshot", () => {
    const store = new JobStore();
    store.apply(makeJob({ id: 3, phase: "verifying" }));

    store.seed([makeJob({ id: 3, phase: "transferring" }), makeJob({ id: 4, uid: "other" })]);

    expect(store.getJobs().map((job) => [job.id, job.phase])).toEqual([
      [3, "verifying"],
      [4, "queued"],
    ]);
  });

  it("notifies subscribers", () => {
    const store = new JobStore();
    const listener = vi.fn();
    const unsubscribe = store.subscribe(listener);

    store.apply(makeJob());
    unsubscribe();
    store.apply(makeJob({ phase: "done" }));

    expect(listener).toHaveBeenCalledTimes(1);
  });

  it("clearFinished keeps active jobs", () => {
    const store = new JobStore();
    store.apply(makeJob({ id: 1, phase: "done" }));
    store.apply(makeJob({ id: 2, phase: "failed" }));
    store.apply(makeJob({ id: 3, phase: "cancelled" }));
    store.apply(makeJob({ id: 4, phase: "transferring" }));
    store.apply(makeJob({ id: 5, phase: "paused" }));

    store.clearFinished();

    expect(store.getJobs().map((job) => job.id)).toEqual([4, 5]);
  });

  it("doneItems lists done jobs", () => {
    const store = new JobStore();
    store.apply(makeJob({ id: 1, phase: "done", itemId: 7 }));
    store.apply(makeJob({ id: 2, phase: "transferring" }));
    store.apply(makeJob({ id: 3, phase: "done", itemId: null }));

    expect([...store.doneItems()]).toEqual([[1, 7]]);
  });

  it("markMissingItems marks missing", () => {
    const store = new JobStore();
    store.apply(makeJob({ id: 1, phase: "done", itemId: 7 }));
    store.apply(makeJob({ id: 2, phase: "done", itemId: 8 }));

    store.markMissingItems(store.doneItems(), new Set([8]));

    expect([...store.getRemoved()]).toEqual([1]);
  });

  it("job done during list stays", () => {
    const store = new JobStore();
    const doneBefore = store.doneItems();
    store.apply(makeJob({ id: 1, phase: "done", itemId: 7 }));

    store.markMissingItems(doneBefore, new Set());

    expect(store.getRemoved().size).toBe(0);
  });

  it("unchanged removals keep identity", () => {
    const store = new JobStore();
    store.apply(makeJob({ id: 1, phase: "done", itemId: 7 }));
    store.markMissingItems(store.doneItems(), new Set());
    const before = store.getRemoved();
    const listener = vi.fn();
    store.subscribe(listener);

    store.markMissingItems(store.doneItems(), new Set());

    expect(store.getRemoved()).toBe(before);
    expect(listener).not.toHaveBeenCalled();
  });
});

describe("phase predicates", () => {
  it.each([
    ["queued", true, false],
    ["preparing", true, false],
    ["transferring", true, false],
    ["verifying", false, false],
    ["paused", false, false],
    ["done", false, true],
    ["failed", false, true],
    ["cancelled", false, true],
  ] as const)("classifies %s", (phase, pausable, finished) => {
    expect(isPausablePhase(phase)).toBe(pausable);
    expect(isFinishedPhase(phase)).toBe(finished);
  });
});
