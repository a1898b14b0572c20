//! The effects the core asks for. Render and HTTP go to the native shell; vault, time and
//! randomness are resolved in Rust by the FFI layer ([`crate::host`]), so no plaintext, PIN or
//! key ever reaches the shell.

use crux_core::capability::Operation;
use facet::Facet;
use serde::{Deserialize, Serialize};

/// Something only the platform can do, told to the shell. It needs no answer.
#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[repr(C)]
pub enum PlatformOperation {
    /// The vault was wiped: delete the platform secret (Android Keystore, iOS Keychain) that
    /// was mixed into its key, so that nothing left of the old vault can ever be opened.
    ForgetPlatformSecret,
}

impl Operation for PlatformOperation {
    type Output = ();
}

/// An HTTP request for the shell to perform.
#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: HttpMethod,
    pub url: String,
    pub headers: Vec<HttpHeader>,
    pub body: Vec<u8>,
    /// Give up after this long and resolve with [`HttpFailureKind::Timeout`].
    pub timeout_ms: u64,
}

#[derive(Facet, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub enum HttpMethod {
    Get,
    Post,
    Put,
}

#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct HttpHeader {
    pub name: String,
    pub value: String,
}

/// What the shell answers to an [`HttpRequest`].
#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[repr(C)]
pub enum HttpResult {
    /// Any HTTP status, including 4xx and 5xx.
    Response(HttpResponse),
    /// No HTTP response: no signal, connection dropped, timed out.
    Failed(HttpFailure),
}

#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

#[derive(Facet, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct HttpFailure {
    pub kind: HttpFailureKind,
    /// For logs only; never shown as is.
    pub message: String,
}

#[derive(Facet, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub enum HttpFailureKind {
    Timeout,
    Connection,
    Other,
}

impl Operation for HttpRequest {
    type Output = HttpResult;
}

impl HttpRequest {
    pub fn get(url: String, timeout_ms: u64) -> Self {
        Self {
            method: HttpMethod::Get,
            url,
            headers: Vec::new(),
            body: Vec::new(),
            timeout_ms,
        }
    }

    pub fn with_header(mut self, name: &str, value: String) -> Self {
        self.headers.push(HttpHeader {
            name: name.into(),
            value,
        });
        self
    }
}

/// A vault operation, resolved in Rust by the FFI layer with [`crate::vault::Vault`].
#[derive(Clone, PartialEq, Eq)]
pub enum VaultOperation {
    Status,
    Create {
        pin: String,
        duress_pin: Option<String>,
    },
    Unlock {
        pin: String,
    },
    Lock,
    /// Every entry of each namespace, in order.
    Load {
        namespaces: Vec<String>,
    },
    Get {
        ns: String,
        key: String,
    },
    /// Applied atomically; with `flush`, durable before the answer.
    Write {
        ops: Vec<VaultWrite>,
        flush: bool,
    },
    /// Destroy the vault, locked or not.
    Wipe,
    /// Every entry of the courier store, which opens without the PIN (`vault::courier`).
    CourierLoad,
    /// Applied atomically to the courier store and made durable before the answer.
    CourierWrite {
        ops: Vec<VaultWrite>,
    },
    /// One entry of the courier store (a copy of a sealed evidence chunk), locked or not.
    CourierGet {
        ns: String,
        key: String,
    },
}

impl std::fmt::Debug for VaultOperation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VaultOperation::Status => f.write_str("Status"),
            VaultOperation::Create { duress_pin, .. } => f
                .debug_struct("Create")
                .field("duress", &duress_pin.is_some())
                .finish_non_exhaustive(),
            VaultOperation::Unlock { .. } => f.write_str("Unlock(..)"),
            VaultOperation::Lock => f.write_str("Lock"),
            VaultOperation::Load { namespaces } => f
                .debug_struct("Load")
                .field("namespaces", namespaces)
                .finish(),
            VaultOperation::Get { ns, key } => f
                .debug_struct("Get")
                .field("ns", ns)
                .field("key", key)
                .finish(),
            VaultOperation::Write { ops, flush } => f
                .debug_struct("Write")
                .field("ops", &ops.len())
                .field("flush", flush)
                .finish(),
            VaultOperation::Wipe => f.write_str("Wipe"),
            VaultOperation::CourierLoad => f.write_str("CourierLoad"),
            VaultOperation::CourierWrite { ops } => f
                .debug_struct("CourierWrite")
                .field("ops", &ops.len())
                .finish(),
            VaultOperation::CourierGet { ns, key } => f
                .debug_struct("CourierGet")
                .field("ns", ns)
                .field("key", key)
                .finish(),
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
pub enum VaultWrite {
    Put {
        ns: String,
        key: String,
        value: Vec<u8>,
    },
    Delete {
        ns: String,
        key: String,
    },
}

impl std::fmt::Debug for VaultWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VaultWrite::Put { ns, key, value } => {
                write!(f, "Put({ns}/{key}, {} bytes)", value.len())
            }
            VaultWrite::Delete { ns, key } => write!(f, "Delete({ns}/{key})"),
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
pub enum VaultOutput {
    Status {
        initialised: bool,
        attempts_left: u32,
    },
    Opened,
    Locked,
    Entries(Vec<Vec<(String, Vec<u8>)>>),
    Value(Option<Vec<u8>>),
    Written,
    Wiped,
    Failed(VaultFailure),
}

impl std::fmt::Debug for VaultOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VaultOutput::Status {
                initialised,
                attempts_left,
            } => write!(f, "Status({initialised}, {attempts_left})"),
            VaultOutput::Opened => f.write_str("Opened"),
            VaultOutput::Locked => f.write_str("Locked"),
            VaultOutput::Entries(e) => write!(
                f,
                "Entries({:?})",
                e.iter().map(Vec::len).collect::<Vec<_>>()
            ),
            VaultOutput::Value(v) => write!(f, "Value({:?})", v.as_ref().map(Vec::len)),
            VaultOutput::Written => f.write_str("Written"),
            VaultOutput::Wiped => f.write_str("Wiped"),
            VaultOutput::Failed(e) => write!(f, "Failed({e:?})"),
        }
    }
}

/// Why a vault operation failed, as the app sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VaultFailure {
    WrongPin {
        attempts_left: u32,
    },
    /// Too many wrong PINs: the vault is gone.
    Wiped,
    NotInitialised,
    AlreadyInitialised,
    /// An operation that needs the unlocked vault while it is locked.
    Locked,
    /// Storage or metadata failure (message for logs).
    Storage(String),
}

impl Operation for VaultOperation {
    type Output = VaultOutput;
}

/// Read up to `len` bytes at `offset` of a file the worker picked as evidence. Resolved in
/// Rust by the host ([`crate::host`]): the file is named by a path the shell gave in
/// [`crate::app::Event::AddEvidenceFile`] (on the phones, a copy in the intake directory,
/// [`crate::host::evidence_intake_dir`]), and the core asks for it one bounded piece at a time.
/// `len` 0 says the core is done with the file: the host deletes it if it is such a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReadOperation {
    pub path: String,
    pub offset: u64,
    pub len: u32,
}

/// The bytes read (fewer than asked at the end of the file, none past it) and the file's size.
#[derive(Clone, PartialEq, Eq)]
pub enum FileReadOutput {
    Read {
        bytes: Vec<u8>,
        file_size: u64,
    },
    /// The file could not be opened or read (message for logs).
    Failed(String),
}

impl std::fmt::Debug for FileReadOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileReadOutput::Read { bytes, file_size } => {
                write!(f, "Read({} of {file_size} bytes)", bytes.len())
            }
            FileReadOutput::Failed(message) => write!(f, "Failed({message})"),
        }
    }
}

impl Operation for FileReadOperation {
    type Output = FileReadOutput;
}

/// Ask for the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeOperation;

/// Unix time in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeOutput {
    pub unix_ms: u64,
}

impl Operation for TimeOperation {
    type Output = TimeOutput;
}

/// Ask for `len` bytes from the operating system's secure generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RandomOperation {
    pub len: u32,
}

#[derive(Clone, PartialEq, Eq)]
pub struct RandomOutput(pub Vec<u8>);

impl std::fmt::Debug for RandomOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RandomOutput({} bytes)", self.0.len())
    }
}

impl Operation for RandomOperation {
    type Output = RandomOutput;
}
