// 4. Failover latency: a failing primary API provider (529, refused connection, no answer with a
// 1 s attempt timeout) and a fallback API provider that answers.
import { join } from 'node:path';
import { apiRuntime, directCall, directClient, MODEL } from './api-overhead.mjs';
import { interleave, log, stats, tempDir } from './lib.mjs';
import { refusedUrl, startStub } from './stub.mjs';

const ATTEMPT_TIMEOUT_MS = 1000;

async function scenario({ label, primaryUrl, fallback, dir, n, timeoutMs, primaryStub }) {
  // Each request asks for its own primary model (`primary/m-<i>`): a transient failure cools down
  // that ref only (model scope), so every sample really tries the failing primary first.
  const runtime = await apiRuntime(primaryUrl, join(dir, label.replace(/\W+/g, '-')), {
    providers: { fallback: { api: 'anthropic-messages', baseUrl: fallback.url, apiKey: 'sk-bench-not-a-real-key' } },
    fallbacks: [`fallback/${MODEL}`],
  });
  const client = directClient(fallback.url);
  const gaps = [];
  let seq = 0;
  try {
    const result = await interleave({
      n,
      warmup: n < 5 ? 1 : 2,
      fns: {
        fallbackAlone: (i) => directCall(client, `direct ${i}`),
        failover: async (i) => {
          const start = performance.now();
          const result = await runtime.run({
            message: `failover ${i}`,
            model: `bench/m-${seq++}`,
            ...(timeoutMs === undefined ? {} : { timeoutMs }),
          });
          const _end = performance.now();
          if (result.model !== `fallback/${MODEL}` || result.attempts[0]?.ok !== false)
            throw new Error(`unexpected result ${JSON.stringify(result.attempts)}`);
          if (i < 0) return;
          // error answered by the primary → request arriving at the fallback (both stubs in this process)
          if (primaryStub !== undefined) gaps.push(fallback.state.lastRequestAt - primaryStub.state.lastErrorSentAt);
          else if (timeoutMs !== undefined) gaps.push(fallback.state.lastRequestAt - start - timeoutMs);
          else gaps.push(fallback.state.lastRequestAt - start);
        },
      },
    });
    return { label, fallbackAlone: result.fallbackAlone, failover: result.failover, gap: stats(gaps) };
  } finally {
    await runtime.close();
  }
}

export async function failover({ quick }) {
  const dir = await tempDir('failover');
  const fallback = await startStub();
  const overloaded = await startStub({ mode: { status: 529 } });
  const hanging = await startStub({ mode: 'hang', maxHangMs: 5_000 });
  const refused = await refusedUrl();
  const n = quick ? 10 : 300;
  const h = quick ? 1 : 20;
  try {
    log(`  529: ${n} rounds; refused: ${n} rounds; no answer (1 s timeout): ${h} rounds`);
    const rows = [
      await scenario({ label: 'primary answers 529 (overloaded)', primaryUrl: overloaded.url, primaryStub: overloaded, fallback, dir, n }),
      await scenario({ label: 'primary refuses the connection', primaryUrl: refused, fallback, dir, n }),
      await scenario({
        label: `primary does not answer (attempt timeout ${ATTEMPT_TIMEOUT_MS} ms)`,
        primaryUrl: hanging.url,
        fallback,
        dir,
        n: h,
        timeoutMs: ATTEMPT_TIMEOUT_MS,
      }),
    ];
    const figures = {};
    const tableRows = [];
    const keys = ['overloaded529', 'refused', 'hang'];
    rows.forEach((row, k) => {
      const deadline = k === 2 ? ATTEMPT_TIMEOUT_MS : 0;
      const addedP50 = row.failover.p50 - row.fallbackAlone.p50 - deadline;
      const addedP99 = row.failover.p99 - row.fallbackAlone.p99 - deadline;
      tableRows.push([
        row.label,
        row.failover.n,
        row.fallbackAlone.p50,
        row.failover.p50,
        row.failover.p99,
        addedP50,
        addedP99,
        row.gap.p50,
        row.gap.p99,
      ]);
      Object.assign(figures, {
        [`${keys[k]}.samples`]: row.failover.n,
        [`${keys[k]}.fallbackAloneP50`]: row.fallbackAlone.p50,
        [`${keys[k]}.totalP50`]: row.failover.p50,
        [`${keys[k]}.totalP99`]: row.failover.p99,
        [`${keys[k]}.addedP50`]: addedP50,
        [`${keys[k]}.addedP99`]: addedP99,
        [`${keys[k]}.gapP50`]: row.gap.p50,
        [`${keys[k]}.gapP99`]: row.gap.p99,
      });
    });
    return {
      id: 'failover',
      title: '4. Failover latency',
      method:
        'Two loopback Anthropic stubs in this process: the primary (`models.providers.bench`) fails, the fallback (`fallback/…`, the only fallback) answers. ' +
        'Each request names its own primary model (`bench/m-<i>`), because a transient failure cools that ref down (model scope) and the next request would otherwise skip it. ' +
        '"fallback alone" is a direct SDK call to the fallback stub, interleaved with the failover requests. ' +
        '"added" = time to the answer − the fallback\'s own time (− the 1 s attempt deadline for the no-answer case). ' +
        '"error → next request" is measured at the stubs: from the moment the primary stub finished sending its 529 to the arrival of the fallback\'s request ' +
        "(refused: from `run()` to the fallback's request, so it includes the refused connect; no answer: from `run()` + 1 000 ms to the fallback's request). " +
        "Between them lie the SDK's error, classification, the machine's `falling-back` state and its cooldown write to LevelDB (awaited before the next candidate), and the next call. ms.",
      tables: [
        {
          headers: [
            'case',
            'samples',
            'fallback alone p50',
            'to the answer p50',
            'to the answer p99',
            'added p50',
            'added p99',
            'error → next request p50',
            'error → next request p99',
          ],
          rows: tableRows,
        },
      ],
      figures,
      targets: [
        {
          name: "API error (529) → next candidate's request (p99)",
          target: '< 10 ms',
          value: figures['overloaded529.gapP99'],
          met: figures['overloaded529.gapP99'] < 10,
        },
        {
          name: "Refused connection → next candidate's request (p99)",
          target: '< 10 ms',
          value: figures['refused.gapP99'],
          met: figures['refused.gapP99'] < 10,
        },
        {
          name: "Attempt deadline → next candidate's request (p99)",
          target: '< 10 ms',
          value: figures['hang.gapP99'],
          met: figures['hang.gapP99'] < 10,
        },
      ],
    };
  } finally {
    await Promise.all([fallback.close(), overloaded.close(), hanging.close()]);
  }
}
