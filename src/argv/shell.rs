//! Shell quoting exactly as libvirt writes `.args` files (`virBufferEscapeShell`).

/// Characters that make libvirt quote an argument.
const SPECIAL: &[char] = &[
    '\r', '\t', '\n', ' ', '!', '"', '#', '$', '&', '\'', '(', ')', '*', ';', '<', '>', '?', '[',
    '\\', ']', '^', '`', '{', '|', '}', '~',
];

/// One argument as libvirt's `.args` files and `virsh domxml-to-native` print it: bare unless
/// it holds a special character, else in single quotes with `'` written `'\''`.
pub fn quote(arg: &str) -> String {
    if arg.is_empty() {
        return "''".into();
    }
    if !arg.contains(SPECIAL) {
        return arg.to_string();
    }
    format!("'{}'", arg.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quotes_like_libvirt() {
        assert_eq!(quote("Haswell,hle=off"), "Haswell,hle=off");
        assert_eq!(
            quote("qemu64,hv-vendor-id=KVM Hv"),
            "'qemu64,hv-vendor-id=KVM Hv'"
        );
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a'b"), "'a'\\''b'");
        assert_eq!(quote("qemu64,vendor=ÄÄÄÄÄÄ"), "qemu64,vendor=ÄÄÄÄÄÄ");
        assert_eq!(quote("$(reboot)"), "'$(reboot)'");
    }
}
