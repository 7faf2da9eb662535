#!/usr/bin/env bash
# PPO on CartPole-v1 side by side: Consort (criterion: environment steps per second, one PPO
# update, the whole run to solved) and the same algorithm and settings in PyTorch 2.15 with
# Gymnasium 1.4.0 (2 threads), in one run. The PyTorch side is skipped, with a note, where
# torch or gymnasium is not installed (pip install torch==2.15.* gymnasium==1.4.0).
# Writes target/compare_ppo.json.
set -euo pipefail
cd "$(dirname "$0")/.."
export CONSORT_BACKEND=flex
cargo bench -q -p consort-rl --bench rl >/dev/null
est() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['median']['point_estimate']/1e6)" \
  "${CARGO_TARGET_DIR:-target}/criterion/$1/new/estimates.json"; }
steps_ms=$(est "cartpole/8 copies, 10k steps")
update_ms=$(est "ppo/one update (8x32 rollout, 20 epochs)")
solve_ms=$(est "ppo/solve CartPole-v1 (seed 0)")
solved_at=$(cat "${CARGO_TARGET_DIR:-target}/tmp/ppo_solved_at.txt")
python3 - "$steps_ms" "$update_ms" "$solve_ms" "$solved_at" <<'PY'
import json, sys, time
steps_ms, update_ms, solve_ms, ours_solved_at = *map(float, sys.argv[1:4]), int(sys.argv[4])
ours = {"env_steps_per_s": 10_000 / (steps_ms / 1e3), "update_ms": update_ms, "solve_s": solve_ms / 1e3, "solved_at": ours_solved_at}
print(f"consort: {ours['env_steps_per_s']:.3g} steps/s (8 copies), one update {update_ms:.1f} ms, solved in {ours['solve_s']:.2f} s")
result = {"consort": ours}
try:
    import numpy as np, gymnasium as gym
except ImportError as e:
    print(f"Gymnasium side skipped ({e}); pip install gymnasium==1.4.0 to compare")
    json.dump(result, open("target/compare_ppo.json", "w"), indent=2)
    sys.exit(0)
env = gym.vector.SyncVectorEnv([lambda: gym.make("CartPole-v1") for _ in range(8)])
env.reset(seed=0)
t = time.perf_counter()
for _ in range(10_000 // 8):
    env.step(np.random.randint(0, 2, 8))
theirs_steps = 10_000 / (time.perf_counter() - t)
result["gymnasium"] = {"version": gym.__version__, "env_steps_per_s": theirs_steps}
print(f"gymnasium {gym.__version__} SyncVectorEnv (8 copies): {theirs_steps:.3g} steps/s; "
      f"consort is {ours['env_steps_per_s'] / theirs_steps:.0f}x faster")
try:
    import torch
    from torch import nn
except ImportError as e:
    print(f"PyTorch side skipped ({e}); pip install torch==2.15.* to compare PPO")
    json.dump(result, open("target/compare_ppo.json", "w"), indent=2)
    sys.exit(0)
torch.set_num_threads(2)
N_ENVS, N_STEPS, EPOCHS, TOTAL = 8, 32, 20, 100_000
GAMMA, LAM, LR, CLIP, VF, MAX_NORM = 0.98, 0.8, 1e-3, 0.2, 0.5, 0.5

def layer(i, o, gain):
    l = nn.Linear(i, o); nn.init.orthogonal_(l.weight, gain); nn.init.zeros_(l.bias); return l

def mlp(out, gain):
    return nn.Sequential(layer(4, 64, 2**0.5), nn.Tanh(), layer(64, 64, 2**0.5), nn.Tanh(), layer(64, out, gain))

def ppo(seed, total):
    torch.manual_seed(seed); np.random.seed(seed)
    actor, critic = mlp(2, 0.01), mlp(1, 1.0)
    opt = torch.optim.Adam(list(actor.parameters()) + list(critic.parameters()), lr=LR, eps=1e-5)
    envs = gym.vector.SyncVectorEnv([lambda: gym.make("CartPole-v1") for _ in range(N_ENVS)],
                                    autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
    envs = gym.wrappers.vector.RecordEpisodeStatistics(envs)
    obs, _ = envs.reset(seed=seed)
    returns, steps, updates = [], 0, total // (N_ENVS * N_STEPS)
    for u in range(updates):
        frac = 1 - u / updates
        for g in opt.param_groups: g["lr"] = frac * LR
        clip = frac * CLIP
        b_obs, b_act, b_logp, b_val, b_rew, b_done = [], [], [], [], [], []
        for _ in range(N_STEPS):
            with torch.no_grad():
                x = torch.as_tensor(obs, dtype=torch.float32)
                dist = torch.distributions.Categorical(logits=actor(x))
                a = dist.sample(); v = critic(x).squeeze(-1)
            nobs, r, term, trunc, info = envs.step(a.numpy())
            steps += N_ENVS
            r = r.astype(np.float64)
            for i in np.where(trunc & ~term)[0]:
                with torch.no_grad():
                    r[i] += GAMMA * critic(torch.as_tensor(info["final_obs"][i], dtype=torch.float32)).item()
            if "episode" in info:
                returns += list(info["episode"]["r"][info["_episode"]])
            b_obs.append(x); b_act.append(a); b_logp.append(dist.log_prob(a)); b_val.append(v)
            b_rew.append(torch.as_tensor(r, dtype=torch.float32)); b_done.append(torch.as_tensor(term | trunc, dtype=torch.float32))
            obs = nobs
        with torch.no_grad():
            last = critic(torch.as_tensor(obs, dtype=torch.float32)).squeeze(-1)
        adv = torch.zeros(N_STEPS, N_ENVS); gae = torch.zeros(N_ENVS)
        for t in reversed(range(N_STEPS)):
            nv = last if t == N_STEPS - 1 else b_val[t + 1]
            live = 1 - b_done[t]
            delta = b_rew[t] + GAMMA * nv * live - b_val[t]
            gae = delta + GAMMA * LAM * live * gae; adv[t] = gae
        ret = adv + torch.stack(b_val)
        o, a, lp, ad, rt = torch.cat(b_obs), torch.cat(b_act), torch.cat(b_logp), adv.flatten(), ret.flatten()
        for _ in range(EPOCHS):
            idx = torch.randperm(len(a))
            mo, ma, mlp_, mad, mrt = o[idx], a[idx], lp[idx], ad[idx], rt[idx]
            mad = (mad - mad.mean()) / (mad.std() + 1e-8)
            dist = torch.distributions.Categorical(logits=actor(mo))
            ratio = (dist.log_prob(ma) - mlp_).exp()
            pg = torch.max(-mad * ratio, -mad * ratio.clamp(1 - clip, 1 + clip)).mean()
            vl = 0.5 * ((critic(mo).squeeze(-1) - mrt) ** 2).mean()
            loss = pg + VF * vl
            opt.zero_grad(); loss.backward()
            nn.utils.clip_grad_norm_(list(actor.parameters()) + list(critic.parameters()), MAX_NORM)
            opt.step()
        if len(returns) >= 100 and np.mean(returns[-100:]) >= 475:
            return steps
    return None

# "One update" is a whole run of one update, as on the Consort side; the first call pays
# torch's one-time start-up, so it is a warm-up and the median of the next 5 counts.
ppo(0, 256)
times = []
for _ in range(5):
    t = time.perf_counter(); ppo(0, 256); times.append((time.perf_counter() - t) * 1e3)
theirs_update = sorted(times)[2]
t = time.perf_counter(); solved = ppo(0, TOTAL); theirs_solve = time.perf_counter() - t
theirs = {"env_steps_per_s": theirs_steps, "update_ms": theirs_update, "solve_s": theirs_solve, "solved_at": solved}
result["pytorch"] = theirs
print(f"pytorch {torch.__version__} + gymnasium {gym.__version__}: {theirs_steps:.3g} steps/s, one update {theirs_update:.1f} ms, "
      f"solved at {solved} steps in {theirs_solve:.2f} s")
# The two runs solve after different numbers of steps (other random draws), so the time per
# environment step of the run to solved is the like-for-like figure.
per_step = (ours["solve_s"] / ours_solved_at) / (theirs_solve / solved) if solved else float("nan")
print(f"ratios (consort / pytorch time): update {update_ms / theirs_update:.2f}, solve {ours['solve_s'] / theirs_solve:.2f}, "
      f"per environment step of the solve run {per_step:.2f} (consort solves at {ours_solved_at} steps)")
json.dump(result, open("target/compare_ppo.json", "w"), indent=2)
PY
