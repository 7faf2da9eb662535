//! Matrix-factorisation recommender: `r(u, i) = mu + b_u + b_i + <p_u, q_i>`.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig, Initializer};
use burn::tensor::{Device, Tensor};
use consort_core::seed::init_now;
use consort_core::{ConsortError, Matrix, ParamGuard, Result};

use super::{Forward, Network};

/// Configuration of a [`MatrixFactorization`].
#[derive(Config, Debug)]
pub struct MatrixFactorizationConfig {
    /// Users are `0..n_users`.
    pub n_users: usize,
    /// Items are `0..n_items`.
    pub n_items: usize,
    /// Latent factors per user and item.
    #[config(default = 16)]
    pub n_factors: usize,
    /// Standard deviation of the initial factors; small, so that training starts from the
    /// bias-only model.
    #[config(default = 0.05)]
    pub init_std: f64,
    /// The constant `mu` added to every prediction: the training mean rating for explicit
    /// feedback, 0 for implicit feedback (the output is then a logit).
    #[config(default = 0.0)]
    pub global_mean: f64,
}

/// User and item factor tables plus per-user and per-item biases, behind [`Network`]: an
/// input row is `[user, item]` (indices as `f32`), the output `[batch, 1]` the predicted
/// rating (or logit). Its features are the elementwise products `p_u * q_i`.
#[derive(Module, Debug)]
pub struct MatrixFactorization {
    user_factors: Embedding,
    item_factors: Embedding,
    user_bias: Embedding,
    item_bias: Embedding,
    #[module(skip)]
    global_mean: f32,
    #[module(skip)]
    n_users: usize,
    #[module(skip)]
    n_items: usize,
}

impl ParamGuard for MatrixFactorizationConfig {
    fn check(&self) -> Result<()> {
        if self.n_users == 0 || self.n_items == 0 || self.n_factors == 0 {
            return Err(ConsortError::config(
                "matrix factorisation needs users, items and at least one factor",
            ));
        }
        if !(self.init_std.is_finite() && self.init_std >= 0.0 && self.global_mean.is_finite()) {
            return Err(ConsortError::config(
                "init_std must be finite and non-negative, global_mean finite",
            ));
        }
        Ok(())
    }
}

impl MatrixFactorizationConfig {
    /// Validates and initialises the model.
    pub fn try_init(&self, device: &Device) -> Result<MatrixFactorization> {
        self.check()?;
        Ok(self.init(device))
    }

    /// Initialises the model (call [`ParamGuard::check`] first, or use
    /// [`MatrixFactorizationConfig::try_init`]).
    pub fn init(&self, device: &Device) -> MatrixFactorization {
        let factors = |n: usize| {
            EmbeddingConfig::new(n, self.n_factors)
                .with_initializer(Initializer::Normal {
                    mean: 0.0,
                    std: self.init_std,
                })
                .init(device)
        };
        let bias = |n: usize| {
            EmbeddingConfig::new(n, 1)
                .with_initializer(Initializer::Zeros)
                .init(device)
        };
        init_now(MatrixFactorization {
            user_factors: factors(self.n_users),
            item_factors: factors(self.n_items),
            user_bias: bias(self.n_users),
            item_bias: bias(self.n_items),
            global_mean: self.global_mean as f32,
            n_users: self.n_users,
            n_items: self.n_items,
        })
    }
}

impl MatrixFactorization {
    /// Number of users.
    pub fn n_users(&self) -> usize {
        self.n_users
    }

    /// Number of items.
    pub fn n_items(&self) -> usize {
        self.n_items
    }

    /// The batch's L2 penalty: mean over rows of `|p_u|² + |q_i|² + b_u² + b_i²`. Penalising
    /// only the rows a batch touches is the classic MF regulariser (rarely seen users and
    /// items are shrunk less often, not less strongly per rating).
    pub fn l2_penalty(&self, x: Tensor<2>) -> Tensor<1> {
        let (p, q, bu, bi) = self.lookup(x);
        (p.powi_scalar(2).sum_dim(1)
            + q.powi_scalar(2).sum_dim(1)
            + bu.powi_scalar(2)
            + bi.powi_scalar(2))
        .mean()
    }

    /// `(p_u, q_i, b_u, b_i)` for the rows of `x`, each `[batch, d]`.
    fn lookup(&self, x: Tensor<2>) -> (Tensor<2>, Tensor<2>, Tensor<2>, Tensor<2>) {
        let [batch, _] = x.dims();
        let ids = x.int();
        let users = ids.clone().narrow(1, 0, 1); // [batch, 1]
        let items = ids.narrow(1, 1, 1);
        let flat = |t: Tensor<3>| -> Tensor<2> {
            let d = t.dims()[2];
            t.reshape([batch, d])
        };
        (
            flat(self.user_factors.forward(users.clone())),
            flat(self.item_factors.forward(items.clone())),
            flat(self.user_bias.forward(users)),
            flat(self.item_bias.forward(items)),
        )
    }
}

impl Network for MatrixFactorization {
    /// Features are the factor products `p_u * q_i`; the output sums them with the biases
    /// and the global mean.
    fn forward(&self, x: Tensor<2>) -> Forward {
        let (p, q, bu, bi) = self.lookup(x);
        let features = p * q;
        let logits = features.clone().sum_dim(1) + bu + bi + self.global_mean;
        Forward { logits, features }
    }

    fn check_input(&self, x: &Matrix) -> Result<()> {
        x.ensure_cols(2, "user/item rows")?;
        for (r, row) in x.iter_rows().enumerate() {
            for (value, bound, what) in [
                (row[0], self.n_users, "user"),
                (row[1], self.n_items, "item"),
            ] {
                if value < 0.0 || value.fract() != 0.0 || value as usize >= bound {
                    return Err(ConsortError::InvalidInput(format!(
                        "{what} index {value} at row {r} is not an integer in 0..{bound}"
                    )));
                }
            }
        }
        Ok(())
    }
}
