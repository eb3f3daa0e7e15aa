// The filters of the videos list: offline state, privacy, creator, upload date range and sort
// order. The search box sits in the screen's head, next to the title.
import { useId } from "react";

import { SortSelect, type SortOption } from "../components/SortSelect";
import { type SortOrder } from "../components/sorting";
import {
  NO_FILTERS,
  VIDEO_SORT_KEYS,
  type OfflineFilter,
  type PrivacyFilter,
  type VideoFilters,
  type VideoSortKey,
} from "./filters";

const SORT_OPTIONS: SortOption[] = [
  { value: "created:descending", label: "Newest first" },
  { value: "created:ascending", label: "Oldest first" },
  { value: "name:ascending", label: "Name, A to Z" },
  { value: "name:descending", label: "Name, Z to A" },
  { value: "duration:descending", label: "Longest first" },
  { value: "duration:ascending", label: "Shortest first" },
  { value: "size:descending", label: "Largest first" },
  { value: "size:ascending", label: "Smallest first" },
];

type Props = {
  filters: VideoFilters;
  creators: string[];
  order: SortOrder<VideoSortKey>;
  onFiltersChange: (filters: VideoFilters) => void;
  onOrderChange: (order: SortOrder<VideoSortKey>) => void;
};

export function FilterBar({ filters, creators, order, onFiltersChange, onOrderChange }: Props) {
  const id = useId();
  const set = (changes: Partial<VideoFilters>) => onFiltersChange({ ...filters, ...changes });
  const filtered =
    filters.offline !== "any" ||
    filters.privacy !== "any" ||
    filters.creator !== null ||
    filters.from !== "" ||
    filters.to !== "";

  return (
    <fieldset className="filter-bar" data-testid="video-filters">
      <legend className="visually-hidden">Filter and sort the videos</legend>
      <div className="filter">
        <label htmlFor={`${id}-offline`}>Offline</label>
        <select
          id={`${id}-offline`}
          data-testid="filter-offline"
          value={filters.offline}
          onChange={(event) => set({ offline: event.target.value as OfflineFilter })}
        >
          <option value="any">All videos</option>
          <option value="offline">In the library</option>
          <option value="online">Not in the library</option>
        </select>
      </div>
      <div className="filter">
        <label htmlFor={`${id}-privacy`}>Privacy</label>
        <select
          id={`${id}-privacy`}
          data-testid="filter-privacy"
          value={filters.privacy}
          onChange={(event) => set({ privacy: event.target.value as PrivacyFilter })}
        >
          <option value="any">Public and private</option>
          <option value="private">Private (signed URLs)</option>
          <option value="public">Public</option>
        </select>
      </div>
      <div className="filter">
        <label htmlFor={`${id}-creator`}>Creator</label>
        <select
          id={`${id}-creator`}
          data-testid="filter-creator"
          value={filters.creator ?? ""}
          onChange={(event) =>
            set({ creator: event.target.value === "" ? null : event.target.value })
          }
        >
          <option value="">Every creator</option>
          {creators.map((creator) => (
            <option key={creator} value={creator}>
              {creator}
            </option>
          ))}
        </select>
      </div>
      <div className="filter">
        <label htmlFor={`${id}-from`}>Uploaded from</label>
        <input
          id={`${id}-from`}
          type="date"
          data-testid="filter-from"
          aria-describedby={`${id}-dates`}
          value={filters.from}
          max={filters.to === "" ? undefined : filters.to}
          onChange={(event) => set({ from: event.target.value })}
        />
      </div>
      <div className="filter">
        <label htmlFor={`${id}-to`}>to</label>
        <input
          id={`${id}-to`}
          type="date"
          data-testid="filter-to"
          aria-describedby={`${id}-dates`}
          value={filters.to}
          min={filters.from === "" ? undefined : filters.from}
          onChange={(event) => set({ to: event.target.value })}
        />
      </div>
      <SortSelect
        id={`${id}-sort`}
        testId="sort-videos"
        order={order}
        keys={VIDEO_SORT_KEYS}
        options={SORT_OPTIONS}
        onChange={onOrderChange}
      />
      {filtered && (
        <button
          type="button"
          className="link filter-reset"
          onClick={() => onFiltersChange({ ...NO_FILTERS, query: filters.query })}
        >
          Clear filters
        </button>
      )}
      <p id={`${id}-dates`} className="help filter-help">
        Upload dates are days in UTC, the way Cloudflare records them.
      </p>
    </fieldset>
  );
}
