/**
 * Who may do what (pure: no HTTP, no cloud). An employee acts on their own desktop only, whatever
 * a request names; an admin sees every desktop. What an action may do also depends on Nova's
 * state: starting a running server or shelving one mid-task is refused before Nova is asked.
 */

export const ACTIONS = ["start", "stop", "shelve", "unshelve"] as const;
export type DesktopAction = (typeof ACTIONS)[number];

export type Role = "employee" | "admin";

export interface Actor {
  user: string;
  role: Role;
}

/** Nova's view of one server, as far as the portal needs it. */
export interface DesktopState {
  /** Nova status: ACTIVE, SHUTOFF, SHELVED_OFFLOADED, BUILD, ERROR, … ("MISSING" when Nova has no such server). */
  status: string;
  /** Nova's task in progress (e.g. "shelving", "spawning"), or null when none. */
  taskState: string | null;
}

export type Decision = { allowed: true } | { allowed: false; status: 403 | 409 | 400; reason: string };

/** The desktop an actor's requests are about: their own, and never one a request names instead. */
export function ownDesktop(actor: Actor, desktops: ReadonlySet<string> | readonly string[]): string | undefined {
  const list = desktops instanceof Set ? desktops : new Set(desktops as readonly string[]);
  return actor.role === "employee" && list.has(actor.user) ? actor.user : undefined;
}

/**
 * May `actor` run `action` on the desktop of `employee` (the desktop a request names, if any)?
 * `requestedServerId` is a server id the request carried; it must be the actor's own.
 */
export function decideAction(args: {
  actor: Actor;
  action: string;
  ownServerId: string | undefined;
  requestedServerId?: string;
  state: DesktopState;
}): Decision {
  const { actor, action, ownServerId, requestedServerId, state } = args;
  if (actor.role !== "employee" || ownServerId === undefined)
    return { allowed: false, status: 403, reason: "only an employee with a desktop can act on it" };
  if (requestedServerId !== undefined && requestedServerId !== "" && requestedServerId !== ownServerId)
    return { allowed: false, status: 403, reason: "that desktop is not yours" };
  if (!(ACTIONS as readonly string[]).includes(action))
    return { allowed: false, status: 400, reason: `unknown action "${action}"; use one of ${ACTIONS.join(", ")}` };
  const possible = possibleActions(state);
  if (!possible.includes(action as DesktopAction))
    return {
      allowed: false,
      status: 409,
      reason: state.taskState
        ? `the desktop is busy (${state.taskState}); wait until it is done`
        : `a desktop that is ${describeStatus(state.status)} cannot ${action}`,
    };
  return { allowed: true };
}

/** The actions that make sense in a state (none while Nova runs a task). */
export function possibleActions(state: DesktopState): DesktopAction[] {
  if (state.taskState) return [];
  switch (state.status) {
    case "ACTIVE":
      return ["stop", "shelve"];
    case "SHUTOFF":
      return ["start", "shelve"];
    case "SHELVED":
    case "SHELVED_OFFLOADED":
      return ["unshelve"];
    default:
      return [];
  }
}

/** The state each action ends in (what the progress display waits for). */
export const TARGET_STATUS: Record<DesktopAction, string[]> = {
  start: ["ACTIVE"],
  stop: ["SHUTOFF"],
  shelve: ["SHELVED_OFFLOADED", "SHELVED"],
  unshelve: ["ACTIVE"],
};

/** Words for a Nova status on the employee's page. */
export function describeStatus(status: string): string {
  const words: Record<string, string> = {
    ACTIVE: "running",
    SHUTOFF: "stopped",
    SHELVED: "shelved",
    SHELVED_OFFLOADED: "shelved",
    BUILD: "being built",
    ERROR: "in error",
    MISSING: "missing",
  };
  return words[status] ?? status.toLowerCase();
}

export interface Progress {
  /** True when the action reached its end state and Nova runs no task. */
  done: boolean;
  failed: boolean;
  /** A sentence for the page (and for screen readers: the region is aria-live). */
  message: string;
}

/** How far an action got, from Nova's state (the portal polls it: unshelve takes minutes). */
export function progressOf(action: DesktopAction, state: DesktopState, elapsedSeconds: number): Progress {
  const elapsed =
    elapsedSeconds < 60 ? `${elapsedSeconds} s` : `${Math.floor(elapsedSeconds / 60)} min ${elapsedSeconds % 60} s`;
  if (state.status === "ERROR")
    return { done: true, failed: true, message: `${action} failed: the desktop is in error; ask your admin` };
  if (TARGET_STATUS[action].includes(state.status) && !state.taskState)
    return { done: true, failed: false, message: `Done: your desktop is ${describeStatus(state.status)}.` };
  const step = state.taskState ? ` (${state.taskState.replace(/_/g, " ")})` : "";
  return { done: false, failed: false, message: `Working on ${action}${step}… ${elapsed} so far.` };
}
