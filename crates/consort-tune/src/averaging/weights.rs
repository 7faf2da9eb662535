//! A network's weights as a list of flat tensors, and networks rebuilt from such lists: the
//! arithmetic under model soups, stochastic weight averaging and snapshot ensembles.
//!
//! Parameters are listed in burn's visit order, which is fixed by the module's structure, so
//! two networks built from the same spec line up parameter by parameter whatever their
//! parameter ids (copies fine-tuned in separate runs, a network reloaded from disk).

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor, TensorData};
use consort_core::{ConsortError, Result};

/// Every float parameter's raw value (without any attached reparameterization such as a LoRA
/// adapter, whose own factors are listed as parameters of their own), flattened and detached
/// from any autodiff graph, in visit order.
pub fn parameter_values<M: Module>(model: &M) -> Vec<Tensor<1>> {
    struct Collect(Vec<Tensor<1>>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let value = param.base().detach();
            let n = value.shape().num_elements();
            self.0.push(value.reshape([n]));
        }
    }
    let mut collect = Collect(Vec::new());
    model.visit(&mut collect);
    collect.0
}

/// The element count of every float parameter, in visit order.
pub fn parameter_sizes<M: Module>(model: &M) -> Vec<usize> {
    struct Sizes(Vec<usize>);
    impl ModuleVisitor for Sizes {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.push(param.base().shape().num_elements());
        }
    }
    let mut sizes = Sizes(Vec::new());
    model.visit(&mut sizes);
    sizes.0
}

/// `model` with its float parameters replaced by `values` (visit order, flat), keeping every
/// parameter's id, shape and trainability. Errors when the count or a size disagrees.
pub fn with_parameter_values<M: Module>(model: M, values: Vec<Tensor<1>>) -> Result<M> {
    let sizes = parameter_sizes(&model);
    if sizes.len() != values.len() {
        return Err(ConsortError::ShapeMismatch(format!(
            "the network has {} float parameters, {} values were given",
            sizes.len(),
            values.len()
        )));
    }
    for (i, (size, value)) in sizes.iter().zip(&values).enumerate() {
        let given = value.shape().num_elements();
        if *size != given {
            return Err(ConsortError::ShapeMismatch(format!(
                "parameter {i} of the network has {size} elements, its new value {given}"
            )));
        }
    }
    struct Replace(std::vec::IntoIter<Tensor<1>>);
    impl ModuleMapper for Replace {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            match self.0.next() {
                // Sizes were checked above, so the reshape cannot fail.
                Some(value) => param.map(|old| {
                    let device = old.device();
                    value.reshape(old.dims()).to_device(&device)
                }),
                None => param,
            }
        }
    }
    Ok(model.map(&mut Replace(values.into_iter())))
}

/// Checks that every network in `models` has the parameter layout of the first.
fn check_same_layout<M: Module>(models: &[M]) -> Result<Vec<usize>> {
    let first = models
        .first()
        .ok_or_else(|| ConsortError::EmptyDataset("no networks to average".into()))?;
    let sizes = parameter_sizes(first);
    for (i, m) in models.iter().enumerate().skip(1) {
        if parameter_sizes(m) != sizes {
            return Err(ConsortError::ShapeMismatch(format!(
                "network {i} does not have the parameter layout of network 0: weights can only \
                 be averaged between networks of one architecture"
            )));
        }
    }
    Ok(sizes)
}

/// The weighted mean of `models`' parameters (`weights` need not sum to 1: they are
/// normalised; `None` is the uniform mean), as a network shaped like the first.
pub fn average_models<M: Module + Clone>(models: &[M], weights: Option<&[f64]>) -> Result<M> {
    check_same_layout(models)?;
    let weights: Vec<f64> = match weights {
        Some(w) if w.len() != models.len() => {
            return Err(ConsortError::ShapeMismatch(format!(
                "{} averaging weights for {} networks",
                w.len(),
                models.len()
            )));
        }
        Some(w) => w.to_vec(),
        None => vec![1.0; models.len()],
    };
    if weights.iter().any(|w| !w.is_finite() || *w < 0.0) || weights.iter().sum::<f64>() <= 0.0 {
        return Err(ConsortError::config(format!(
            "averaging weights must be finite, non-negative and not all zero, got {weights:?}"
        )));
    }
    let total: f64 = weights.iter().sum();
    let mut sum: Option<Vec<Tensor<1>>> = None;
    for (model, w) in models.iter().zip(&weights) {
        let scale = (w / total) as f32;
        let values = parameter_values(model);
        sum = Some(match sum {
            None => values.into_iter().map(|v| v * scale).collect(),
            Some(acc) => acc
                .into_iter()
                .zip(values)
                .map(|(a, v)| a + v * scale)
                .collect(),
        });
    }
    with_parameter_values(models[0].clone(), sum.unwrap_or_default())
}

/// A running (equal-weight) mean of weights, updated one network at a time: SWA's average.
/// Kept as plain numbers, so that it is saved in checkpoints as it is and does not depend on
/// the device the networks live on.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunningAverage {
    mean: Option<Vec<Vec<f32>>>,
    count: usize,
}

impl RunningAverage {
    /// An empty average.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `model`'s weights: `mean += (w - mean) / (n + 1)`, in f64 arithmetic per element.
    pub fn add<M: Module>(&mut self, model: &M) -> Result<()> {
        let values = tensors_to_vecs(&parameter_values(model))?;
        let rate = 1.0 / (self.count + 1) as f64;
        match self.mean.as_mut() {
            None => self.mean = Some(values),
            Some(mean) => {
                let layout = |v: &[Vec<f32>]| v.iter().map(Vec::len).collect::<Vec<_>>();
                if layout(mean) != layout(&values) {
                    return Err(ConsortError::ShapeMismatch(
                        "a network of another architecture joined the running average".into(),
                    ));
                }
                for (m, v) in mean.iter_mut().zip(values) {
                    for (a, b) in m.iter_mut().zip(v) {
                        *a = (f64::from(*a) + (f64::from(b) - f64::from(*a)) * rate) as f32;
                    }
                }
            }
        }
        self.count += 1;
        Ok(())
    }

    /// Networks averaged so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// `model` carrying the mean, on `model`'s device (`None` before the first network).
    pub fn apply<M: Module>(&self, model: M) -> Option<Result<M>> {
        let mean = self.mean.as_ref()?;
        let device = parameter_values(&model).first().map(|t| t.device())?;
        Some(with_parameter_values(
            model,
            vecs_to_tensors(mean.clone(), &device),
        ))
    }
}

/// Flat tensors as plain vectors.
pub fn tensors_to_vecs(values: &[Tensor<1>]) -> Result<Vec<Vec<f32>>> {
    values
        .iter()
        .map(|t| {
            t.clone()
                .into_data()
                .convert::<f32>()
                .try_into_vec::<f32>()
                .map_err(|e| ConsortError::Backend(format!("reading weights: {e:?}")))
        })
        .collect()
}

/// Plain vectors as flat tensors on `device`.
pub fn vecs_to_tensors(values: Vec<Vec<f32>>, device: &Device) -> Vec<Tensor<1>> {
    values
        .into_iter()
        .map(|v| {
            let n = v.len();
            Tensor::from_data(TensorData::new(v, [n]), device)
        })
        .collect()
}
