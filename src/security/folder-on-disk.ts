/**
 * Whether a folder path under a root is, on disk, exactly that folder: no symbolic link on
 * the way leads somewhere else. A string check (`startsWith(root)`) says nothing of links:
 * `uploads/ins/7 -> /elsewhere` makes `uploads/ins/7/a.pdf` a file outside the tree, and a
 * move or a delete through it acts there (issue 22, item 1).
 *
 * Only folders that exist are resolved; the deepest one decides, since what is created
 * under it afterwards (mkdir) is a real folder. What changes between this check and the
 * file operation is not covered: Node has no openat(2) to pin the folder it checked.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';

/**
 * True when `root/folders…` resolves to `realpath(root)/folders…`, for the deepest part of
 * it that exists; `root` itself may be a link (the operator's choice), nothing under it.
 *
 * @example
 * await isRealFolderUnder('/srv/uploads', ['orphelins', 'ins']); // false when orphelins is a link
 */
export async function isRealFolderUnder(root: string, folders: readonly string[]): Promise<boolean> {
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch (error) {
    // No root yet (an UPLOADS_DIR nothing was ever uploaded to): nothing under it can be a link.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
  for (let depth = folders.length; depth >= 0; depth -= 1) {
    const on = folders.slice(0, depth);
    let real: string;
    try {
      real = await realpath(path.join(root, ...on));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      // ENOTDIR (a file where a folder should be), ELOOP, EACCES: not a folder we can vouch for.
      return false;
    }
    return real === path.join(realRoot, ...on);
  }
  return true;
}
