//! The connection cap against the process's open-file limit: every client connection is
//! a file, and a server that runs out of files fails accepts and database connections
//! alike ("Too many open files").

/// Files kept for everything but client connections: the listener, database files and
/// pooled connections, tenant databases being provisioned, SMTP, logs.
pub const RESERVED_FILES: usize = 256;

/// The soft open-file limit (`ulimit -n`), read from `/proc/self/limits`; `None` when it
/// is unlimited or cannot be read (not Linux).
pub fn open_file_limit() -> Option<usize> {
    soft_limit(&std::fs::read_to_string("/proc/self/limits").ok()?)
}

/// The "Max open files" soft limit in the text of `/proc/self/limits`.
fn soft_limit(limits: &str) -> Option<usize> {
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The connection cap to serve with: `configured`, or what fits in `limit` files (at
/// least one) with the reason it was lowered.
pub fn fit_connections(configured: usize, limit: Option<usize>) -> (usize, Option<String>) {
    let Some(limit) = limit else {
        return (configured, None);
    };
    let room = limit.saturating_sub(RESERVED_FILES).max(1);
    if configured <= room {
        return (configured, None);
    }
    let reason = format!(
        "TENANTRY_MAX_CONNECTIONS is {configured}, but the open-file limit (ulimit -n) is \
         {limit}: serving at most {room} connections ({RESERVED_FILES} files are kept for \
         databases and logs); raise the limit (ulimit -n, LimitNOFILE=) to serve more"
    );
    (room, Some(reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: &str = "Limit                     Soft Limit           Hard Limit           Units     \n\
Max cpu time              unlimited            unlimited            seconds   \n\
Max open files            1024                 524288               files     \n";

    #[test]
    fn the_soft_limit_is_read() {
        assert_eq!(soft_limit(LIMITS), Some(1024));
        assert_eq!(soft_limit("Max open files unlimited unlimited files"), None);
        assert_eq!(soft_limit(""), None);
    }

    #[test]
    fn the_cap_is_lowered_to_fit_and_says_why() {
        assert_eq!(fit_connections(10_000, None), (10_000, None));
        assert_eq!(fit_connections(10_000, Some(20_000)), (10_000, None));
        let (cap, reason) = fit_connections(10_000, Some(1024));
        assert_eq!(cap, 768);
        assert!(reason.unwrap().contains("ulimit -n"));
        assert_eq!(fit_connections(10, Some(100)).0, 1);
    }
}
