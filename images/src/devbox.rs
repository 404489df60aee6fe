//! The developer base image (seed 004; "spark" there is a dev box, not Apache Spark): Debian's
//! tools preinstalled so a box is ready in seconds, sshd with keys only.
//!
//! ```sh
//! docker run -d -p 2222:22 -e DEV_USER=me -e SSH_AUTHORIZED_KEY="$(cat ~/.ssh/id_ed25519.pub)" \
//!     -v "$PWD/dev.env:/run/secrets/devbox.env:ro" devbox:bookworm-debian
//! ssh -p 2222 me@localhost
//! ```
//!
//! `files/devbox/init.sh` lists every setting (user, uid, shell, sudo, environment file, GitHub
//! token, repository to clone); `tests/live/devbox.rs` proves them on a real daemon.

use image_dsl::image;

image! {
    /// Developer box `{variant}`: Debian's tools (shells, editors, compilers, Go, Node.js, Python,
    /// database and GitHub clients) with a hardened sshd; `full` adds the tools that only exist as
    /// release downloads (kubectl, helm, starship, lazygit, zellij, yq) and oh-my-zsh with the dotfiles.
    pub image devbox for variant in ["debian", "full"] {
        name "devbox";
        tag "bookworm-{variant}";
        budget 1.8 GB;
        if variant in ["full"] {
            stage tools from debian "bookworm" {
                artifact "kubernetes-client-linux-amd64" to "/tmp/kubernetes-client.tar.gz";
                artifact "helm" to "/tmp/helm.tar.gz";
                artifact "starship" to "/tmp/starship.tar.gz";
                artifact "lazygit" to "/tmp/lazygit.tar.gz";
                artifact "zellij" to "/tmp/zellij.tar.gz";
                artifact "yq" to "/opt/tools/bin/yq";
                run [
                    "tar -xzf /tmp/kubernetes-client.tar.gz -C /opt/tools/bin --strip-components=3 kubernetes/client/bin/kubectl",
                    "tar -xzf /tmp/helm.tar.gz -C /opt/tools/bin --strip-components=1 linux-amd64/helm",
                    "tar -xzf /tmp/starship.tar.gz -C /opt/tools/bin starship",
                    "tar -xzf /tmp/lazygit.tar.gz -C /opt/tools/bin lazygit",
                    "tar -xzf /tmp/zellij.tar.gz -C /opt/tools/bin zellij",
                    "chmod 0755 /opt/tools/bin/*",
                    "rm -f /tmp/*.tar.gz",
                ];
            }
        }
        from debian "bookworm";
        apt [
            "openssh-server", "sudo", "ca-certificates", "curl", "wget", "git", "vim", "neovim", "zsh",
            "build-essential", "postgresql-client", "jq", "ripgrep", "fzf", "bat", "tree", "stow", "tmux",
            "python3", "python3-pip", "python3-venv", "protobuf-compiler", "golang-go", "nodejs", "npm",
            "gh", "less", "unzip", "xz-utils", "zstd", "tini", "locales",
        ];
        if variant in ["full"] {
            copy from tools "/opt/tools/bin/" to "/usr/local/bin/";
            git "oh-my-zsh" to "/usr/share/oh-my-zsh";
            git "zsh-autosuggestions" to "/usr/share/oh-my-zsh/custom/plugins/zsh-autosuggestions";
            git "t-eckert-dotfiles" to "/etc/skel/.dotfiles";
        }
        file "/etc/ssh/sshd_config.d/10-hardening.conf" = include "../files/devbox/hardening.conf";
        file "/usr/local/bin/devbox-init" = include "../files/devbox/init.sh" mode 0o755;
        file "/etc/skel/.zshrc" = include "../files/devbox/zshrc";
        // Host keys are made per container by devbox-init; /run/secrets is where secret files
        // are mounted, readable by root alone.
        run [
            "rm -f /etc/ssh/ssh_host_*",
            "install -d -m 0700 /run/secrets",
            "ln -s /usr/bin/batcat /usr/local/bin/bat",
            "sed -i 's/^# *en_US.UTF-8/en_US.UTF-8/' /etc/locale.gen",
            "locale-gen > /dev/null",
            // ENV does not reach ssh sessions; PAM reads the locale from here.
            "echo 'LANG=en_US.UTF-8' > /etc/default/locale",
        ];
        env LANG = "en_US.UTF-8";
        expose 22;
        entrypoint ["/usr/bin/tini", "--", "/usr/local/bin/devbox-init"];
        user root because "sshd must start as root to switch to the user who logs in, and the init script creates that user from the environment; sshd refuses root and password logins";
    }
}
