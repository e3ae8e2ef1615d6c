//! The maps the player keeps by id (requests in flight, timers, loaded keys, levels' failures): a few
//! entries each, so a vector searched in order. Measured in the bundle: `std`'s `HashMap` (hashbrown,
//! SipHash and its random seed) cost about 16 KB of wasm for these, `BTreeMap` more; this costs a few
//! hundred bytes per use. Lookups are linear, which is what a map of under a hundred entries wants.

use std::borrow::Borrow;

/// A map of few entries, in insertion order (a removal moves the last entry into the hole).
#[derive(Debug, Clone)]
pub struct SmallMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for SmallMap<K, V> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<K: PartialEq, V> SmallMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    fn index<Q>(&self, key: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
        Q: PartialEq + ?Sized,
    {
        self.entries.iter().position(|(k, _)| k.borrow() == key)
    }

    /// The value for `key`.
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: PartialEq + ?Sized,
    {
        self.entries
            .iter()
            .find(|(k, _)| k.borrow() == key)
            .map(|(_, v)| v)
    }

    /// The value for `key`, to change.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: PartialEq + ?Sized,
    {
        self.entries
            .iter_mut()
            .find(|(k, _)| k.borrow() == key)
            .map(|(_, v)| v)
    }

    /// Whether `key` has a value.
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: PartialEq + ?Sized,
    {
        self.index(key).is_some()
    }

    /// Sets `key`'s value; the one it had, if any.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.get_mut(&key) {
            Some(old) => Some(std::mem::replace(old, value)),
            None => {
                self.entries.push((key, value));
                None
            }
        }
    }

    /// The value for `key`, made by `make` if it had none.
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let i = match self.index(&key) {
            Some(i) => i,
            None => {
                self.entries.push((key, make()));
                self.entries.len() - 1
            }
        };
        // `i` indexes an entry that exists: found, or just pushed.
        &mut self.entries[i].1
    }

    /// Takes `key`'s value out.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: PartialEq + ?Sized,
    {
        let i = self.index(key)?;
        Some(self.entries.swap_remove(i).1)
    }

    /// Keeps the entries `keep` says to.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The keys.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.entries.iter().map(|(k, _)| k)
    }

    /// The entries.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Empties the map.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Takes every value out.
    pub fn take_values(&mut self) -> Vec<V> {
        std::mem::take(&mut self.entries)
            .into_iter()
            .map(|(_, v)| v)
            .collect()
    }
}

/// Sorts a short slice (a handful of levels) by `key`, stably, by insertion: the standard library's
/// stable sort is several kilobytes of wasm per element type, this a few hundred bytes.
pub fn sort_small_by_key<T, K: Ord>(items: &mut [T], key: impl Fn(&T) -> K) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && key(&items[j - 1]) > key(&items[j]) {
            items.swap(j - 1, j);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_as_a_map() {
        let mut m: SmallMap<String, u32> = SmallMap::new();
        assert_eq!(m.insert("a".into(), 1), None);
        assert_eq!(m.insert("b".into(), 2), None);
        assert_eq!(m.insert("a".into(), 3), Some(1));
        assert_eq!((m.len(), m.get("a"), m.get("c")), (2, Some(&3), None));
        *m.get_or_insert_with("c".into(), || 0) += 5;
        *m.get_or_insert_with("c".into(), || 0) += 5;
        assert_eq!(m.get("c"), Some(&10));
        assert_eq!(m.remove("a"), Some(3));
        assert!(!m.contains_key("a") && m.contains_key("b"));
        m.retain(|_, v| *v > 2);
        assert_eq!(m.keys().collect::<Vec<_>>(), [&"c".to_string()]);
        assert_eq!(m.take_values(), [10]);
        assert!(m.is_empty());
    }

    #[test]
    fn sorts_small_slices_stably() {
        let mut v = vec![(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e')];
        sort_small_by_key(&mut v, |&(k, _)| k);
        assert_eq!(v, vec![(1, 'b'), (1, 'e'), (2, 'd'), (3, 'a'), (3, 'c')]);
        let mut empty: Vec<u8> = Vec::new();
        sort_small_by_key(&mut empty, |&x| x);
        assert!(empty.is_empty());
    }
}
