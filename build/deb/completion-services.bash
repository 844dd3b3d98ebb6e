
# Added by build/deb to picocli's generated script: the running daemon's service names, for the subcommands that
# take them, asked of the daemon (vigil status --json, on the --control socket given before the subcommand).
_vigil_services() {
    vigil "$@" status --json 2>/dev/null | grep -o '"name":"[^"]*"' | sed 's/^"name":"//; s/"$//'
}

_vigil_complete_with_services() {
    _complete_vigil "$@"
    local cur=${COMP_WORDS[COMP_CWORD]} i sub= control=()
    [[ $cur == -* ]] && return 0
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            --control) control=(--control "${COMP_WORDS[i + 1]:-}"); ((i++)) ;;
            -*) ;;
            *) sub=${COMP_WORDS[i]}; break ;;
        esac
    done
    case $sub in
        status|start|stop|restart|try-restart|once|kill|signal|pause|cont|reload|reset-failed|wait|remove|logs|show|\
        is-active|is-failed|list-dependencies)
            local IFS=$'\n'
            COMPREPLY+=($(compgen -W "$(_vigil_services "${control[@]}")" -- "$cur")) ;;
    esac
    return 0
}
complete -F _vigil_complete_with_services -o default vigil
