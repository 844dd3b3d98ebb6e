#compdef vigil
# Vigil's completion for zsh: the bash script (generated from the picocli model, with the daemon's service names)
# through zsh's bash emulation, as picocli's AutoComplete documents it.
autoload -U +X bashcompinit && bashcompinit
source /usr/share/bash-completion/completions/vigil
# The script registered its function for the next completions; this first one is handed to it here.
_bash_complete -F _vigil_complete_with_services "$@"
