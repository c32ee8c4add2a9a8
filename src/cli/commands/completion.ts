/**
 * `tributary completion bash|zsh`: prints a completion script generated from the command tree,
 * so it always matches the commands and flags this build has.
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { CliContext } from '../context.js';

interface Node {
  path: string[];
  subcommands: string[];
  options: string[];
}

function walk(cmd: Command, path: string[], out: Node[], globals: string[]): void {
  const own = cmd.options.flatMap((o) => [o.short, o.long].filter((x): x is string => typeof x === 'string'));
  const subs = cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden).flatMap((c) => [c.name(), ...c.aliases()]);
  out.push({ path, subcommands: subs, options: [...new Set([...own, ...globals, '--help'])] });
  for (const c of cmd.commands) walk(c, [...path, c.name()], out, globals);
  for (const c of cmd.commands) for (const a of c.aliases()) walk(c, [...path, a], out, globals);
}

export function completionNodes(program: Command): Node[] {
  const globals = program.options.flatMap((o) => [o.short, o.long].filter((x): x is string => typeof x === 'string'));
  const out: Node[] = [];
  walk(program, [], out, globals);
  return out;
}

export function bashScript(program: Command): string {
  const nodes = completionNodes(program);
  const cases = nodes
    .map((n) => `    '${n.path.join(' ')}') words_here='${[...n.subcommands, ...n.options].join(' ')}' ;;`)
    .join('\n');
  return `# bash completion for tributary — load with:  source <(tributary completion bash)
_tributary() {
  local cur path w i words_here
  cur="\${COMP_WORDS[COMP_CWORD]}"
  path=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -*) continue ;; esac
    if _tributary_has "\${path:+$path }$w"; then path="\${path:+$path }$w"; fi
  done
  case "$path" in
${cases}
    *) words_here='' ;;
  esac
  COMPREPLY=( $(compgen -W "$words_here" -- "$cur") )
}
_tributary_has() {
  case "$1" in
${nodes.map((n) => `    '${n.path.join(' ')}') return 0 ;;`).join('\n')}
  esac
  return 1
}
complete -o default -F _tributary tributary
`;
}

export function zshScript(program: Command): string {
  return `#compdef tributary
# zsh completion for tributary — load with:  source <(tributary completion zsh)
# (or save it as _tributary in a directory on $fpath)
autoload -U +X bashcompinit && bashcompinit
${bashScript(program).split('\n').slice(1).join('\n')}`;
}

export function registerCompletionCommand(program: Command, ctx: CliContext): Command {
  return program
    .command('completion')
    .description('Print a shell completion script (bash or zsh).')
    .argument('<shell>', 'bash or zsh', (v: string) => {
      if (v !== 'bash' && v !== 'zsh') throw new InvalidArgumentError('Expected bash or zsh.');
      return v;
    })
    .addHelpText(
      'after',
      `
Examples:
  $ source <(tributary completion bash)                 # this shell
  $ tributary completion bash > /etc/bash_completion.d/tributary
  $ tributary completion zsh > "\${fpath[1]}/_tributary"`,
    )
    .action((shell: 'bash' | 'zsh') => {
      ctx.stdout(shell === 'bash' ? bashScript(program) : zshScript(program));
    });
}
