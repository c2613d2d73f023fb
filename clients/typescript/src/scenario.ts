// The client's own test, run by tests/test_clients.py against a live server (RENDEZVOUS_URL): a gather with
// three reports, a wait to quorum, and a conflict read as a typed problem. Exits non-zero on the first miss.
import { rendezvous, type Problem } from "./index.js";

const client = rendezvous(process.env.RENDEZVOUS_URL ?? "http://127.0.0.1:8000");
const run = process.env.SCENARIO_ID ?? "ts";

function check(ok: boolean, what: string): void {
  if (!ok) {
    console.error(`scenario failed: ${what}`);
    process.exit(1);
  }
}

const jobIds = [0, 1, 2].map((n) => `${run}-job-${n}`);
const created = await client.POST("/v1/gathers", { body: { id: `${run}-gather`, job_ids: jobIds } });
check(created.response.status === 201 && created.data?.status === "waiting", "gather created waiting");
for (const jobId of jobIds) {
  const done = await client.POST("/v1/jobs/{job_id}/complete", {
    params: { path: { job_id: jobId } },
    body: { status: "succeeded", output: { n: jobId } },
  });
  check(done.response.status === 200 && done.data?.status === "succeeded", `report of ${jobId}`);
}
const gather = await client.GET("/v1/gathers/{gather_id}", { params: { path: { gather_id: `${run}-gather` } } });
check(gather.data?.status === "succeeded" && gather.data?.done === 3, "gather succeeded with three done");

// The first add opens the group's wait (201), the second joins it (200) and reaches the quorum.
for (const [participant, status] of [["a", 201], ["b", 200]] as const) {
  const added = await client.POST("/v1/waits/{group_key}/participants", {
    params: { path: { group_key: `${run}-wait` } },
    body: {
      participant_key: participant,
      expected_participants: 2,
      wait_seconds: 60,
      callback: { url: "http://127.0.0.1:9/waited" },
    },
  });
  check(added.response.status === status, `participant ${participant} added`);
}
const wait = await client.GET("/v1/waits/{group_key}", { params: { path: { group_key: `${run}-wait` } } });
check(wait.data?.status === "resolved" && wait.data?.participant_count === 2, "wait resolved at quorum");

const conflict = await client.POST("/v1/jobs/{job_id}/complete", {
  params: { path: { job_id: jobIds[0] } },
  body: { status: "failed", error: { why: "late" } },
});
const problem: Problem | undefined = conflict.error;
check(conflict.response.status === 409 && problem?.status === 409, "a conflicting report is a 409 problem");
check(typeof problem?.title === "string" && typeof problem?.type === "string", "the problem has its fields");
console.log("scenario passed");
