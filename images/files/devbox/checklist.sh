#!/bin/zsh
# Seed 004's testing checklist, run by the user who logged in over ssh (`devbox-checklist`):
# one line per item, `item<TAB>ok|missing|FAILED<TAB>what it printed`. A tool this variant does
# not have is `missing`; one that is there but does not work is `FAILED`, and the exit status is 1.
# tests/live/devbox.rs checks each variant's lines against what the variant is meant to have.
emulate -L zsh
setopt no_unset pipe_fail
failed=0

line() { print -r -- "$1"$'\t'"$2"$'\t'"${3//$'\n'/ }" }

# item, then the command that proves it; its first output line is the detail.
check() {
  local item=$1 out
  local -a lines
  shift
  if ! (( $+commands[$1] )); then
    line "$item" missing "$1 is not on PATH"
    return
  fi
  if out=$("$@" 2>&1 < /dev/null); then
    lines=("${(@f)out}")
    line "$item" ok "${lines[1]:-}"
  else
    lines=("${(@f)out}" "exit status $?")
    line "$item" FAILED "${lines[1]:-}"
    failed=1
  fi
}

shell=$(getent passwd "$USER" | cut -d: -f7)
if [[ $shell == */zsh && -n ${ZSH_VERSION:-} ]]; then
  line default-shell ok "$shell (zsh $ZSH_VERSION)"
else
  line default-shell FAILED "login shell $shell"
  failed=1
fi

# The prompt an interactive login shell draws: starship's where it is installed.
prompt=$(zsh -i -c 'print -rn -- "$PROMPT"' 2> /dev/null < /dev/null)
if [[ $prompt == *starship* ]]; then
  if drawn=$(starship prompt 2>&1 < /dev/null) && [[ -n $drawn ]]; then
    line prompt ok "starship $(starship --version | head -1 | cut -d' ' -f2)"
  else
    line prompt FAILED "starship prompt: $drawn"
    failed=1
  fi
elif [[ -n $prompt ]]; then
  line prompt ok "zsh PROMPT=$prompt"
else
  line prompt FAILED "the interactive shell has no prompt"
  failed=1
fi
if [[ -f /usr/share/zsh-autosuggestions/zsh-autosuggestions.zsh ]] \
  && zsh -i -c '(( $+functions[_zsh_autosuggest_start] ))' < /dev/null 2> /dev/null; then
  line autosuggestions ok "zsh-autosuggestions loaded"
else
  line autosuggestions FAILED "zsh-autosuggestions is not loaded in an interactive shell"
  failed=1
fi

# nvim starts (headless), runs Lua and quits.
check nvim nvim --headless -c 'lua local v = vim.version(); io.write(("NVIM v%d.%d.%d"):format(v.major, v.minor, v.patch))' -c qa
check git git --version
check go go version
check node node --version
check npm npm --version
check kubectl kubectl version --client
check gh gh --version
check psql psql --version
check fzf fzf --version
check rg rg --version
check bat bat --version
check helm helm version --short
check k9s k9s version --short
check lazygit lazygit --version
check zellij zellij --version
check yq yq --version
check atuin atuin --version

# A Go program compiles and runs, offline, in a fresh module.
if (( $+commands[go] )); then
  dir=$(mktemp -d)
  print -r -- $'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello from", "go") }' > $dir/main.go
  if out=$(cd $dir && GOFLAGS=-mod=mod GOPROXY=off go mod init example.com/hello > /dev/null 2>&1 \
    && GOPROXY=off go build -o hello . 2>&1 && ./hello); then
    line go-build ok "$out"
  else
    line go-build FAILED "$out"
    failed=1
  fi
  rm -rf $dir
else
  line go-build missing "go is not on PATH"
fi

# The dotfiles and oh-my-zsh, which only a git mirror provides (the dotfiles variant).
if [[ -d $HOME/.dotfiles && -n $(ls -A $HOME/.dotfiles) ]]; then
  line dotfiles ok "$(ls -A $HOME/.dotfiles | wc -l) entries in ~/.dotfiles"
else
  line dotfiles missing "no ~/.dotfiles: build the dotfiles variant with a git mirror"
fi
omz=$(zsh -i -c 'print -rn -- "${ZSH:-}"' 2> /dev/null < /dev/null)
if [[ -n $omz && -f $omz/oh-my-zsh.sh ]]; then
  line oh-my-zsh ok "$omz"
else
  line oh-my-zsh missing "no oh-my-zsh: build the dotfiles variant with a git mirror"
fi
exit $failed
