// The condition Rust reports next to a job's phase (a full disk, a stalled preparation or the
// account's rate limit) as one plain sentence. The rate-limit wait counts down here, from the
// moment its snapshot arrived, because Rust publishes the notice only when its value changes.
import { useEffect, useState } from "react";

import type { JobNotice } from "../backend/types";
import { formatBytes, formatSpan } from "../format/format";

/** Returns the sentence for a notice, given the seconds left of a rate-limit wait. */
export function describeNotice(notice: JobNotice, remainingSecs: number): string {
  switch (notice.kind) {
    case "diskFull": {
      const need =
        notice.neededBytes === null
          ? "The disk is full."
          : `The disk is full: ${formatBytes(notice.neededBytes)} more is needed.`;
      return `${need} Free some space, then Resume. The partial file is kept.`;
    }
    case "stalled": {
      const since = formatSpan(notice.sinceSecs);
      return notice.percent === null
        ? `Cloudflare's preparation has not moved for ${since}`
        : `Cloudflare's preparation has not moved from ${Math.round(notice.percent)}% for ${since}`;
    }
    case "rateLimited":
      return remainingSecs > 0
        ? `Waiting for Cloudflare's rate limit: resumes in ${formatSpan(remainingSecs)}`
        : "Waiting for Cloudflare's rate limit: resuming now";
  }
}

/**
 * Returns the whole seconds left of a wait of `seconds` that started when it was first
 * rendered. A different number of seconds starts a new wait, because Rust publishes a notice
 * only when its value changes.
 */
function useCountdown(seconds: number): number {
  const [start, setStart] = useState(() => ({ seconds, deadline: Date.now() + seconds * 1000 }));
  const [now, setNow] = useState(() => Date.now());

  // Restarting during render, not in an effect, so the first frame of a new wait is right.
  let deadline = start.deadline;
  if (start.seconds !== seconds) {
    deadline = Date.now() + seconds * 1000;
    setStart({ seconds, deadline });
    setNow(Date.now());
  }

  const remaining = Math.max(0, Math.ceil((deadline - now) / 1000));
  const running = remaining > 0;
  useEffect(() => {
    if (!running) {
      return;
    }
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [deadline, running]);

  return remaining;
}

type Props = { notice: JobNotice };

export function NoticeMessage({ notice }: Props) {
  const waitSecs = notice.kind === "rateLimited" ? notice.retryAfterSecs : 0;
  const remaining = useCountdown(waitSecs);

  return (
    <p
      className={`job-notice notice-${notice.kind}`}
      role="status"
      data-testid="job-notice"
      data-kind={notice.kind}
    >
      {describeNotice(notice, remaining)}
    </p>
  );
}
