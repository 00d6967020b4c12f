//! The sandbox's demo credentials.

use std::fmt;

/// Demo credentials the sandbox accepts: an ESET API user and a GravityZone API key.
///
/// They are fixed (the same for every seed) so documentation and scripts can name them. They are
/// not secrets, but `Debug` still hides the password and the key, like every credential type of
/// the workspace.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// ESET MSP Administrator 2 user name for Token/Get.
    pub eset_username: String,
    /// ESET MSP Administrator 2 password for Token/Get.
    pub eset_password: String,
    /// GravityZone API key, sent as the HTTP Basic user name with an empty password.
    pub gravityzone_api_key: String,
}

impl Credentials {
    /// The ESET user name the sandbox accepts.
    pub const ESET_USERNAME: &'static str = "api@sandbox.example";
    /// The ESET password the sandbox accepts.
    pub const ESET_PASSWORD: &'static str = "sandbox-password";
    /// The GravityZone API key the sandbox accepts.
    pub const GRAVITYZONE_API_KEY: &'static str = "sandbox-gravityzone-api-key";

    /// The demo credentials.
    pub fn demo() -> Self {
        Self {
            eset_username: Self::ESET_USERNAME.to_string(),
            eset_password: Self::ESET_PASSWORD.to_string(),
            gravityzone_api_key: Self::GRAVITYZONE_API_KEY.to_string(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("eset_username", &self.eset_username)
            .field("eset_password", &"[redacted]")
            .field("gravityzone_api_key", &"[redacted]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_password_and_the_key() {
        let text = format!("{:?}", Credentials::demo());
        assert!(text.contains(Credentials::ESET_USERNAME));
        assert!(!text.contains(Credentials::ESET_PASSWORD));
        assert!(!text.contains(Credentials::GRAVITYZONE_API_KEY));
    }
}
